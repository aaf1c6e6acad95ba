"""Operations: each maintenance job is one async function here; HTTP and CLI only adapt it."""
