"""Operations on Argilla 1.x ("legacy") datasets: label schemas from the old UI, datasets without a workspace."""
