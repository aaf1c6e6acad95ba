"""Checks of the image, the chart and the hook (make deploy-test)."""
