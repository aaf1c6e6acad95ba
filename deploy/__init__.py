"""Deployment: the image build, the Helm chart and their checks."""
