"""Serve stage: the REST API and the server-rendered web UI over one store (`create_app`)."""

from storyweave.serve.app import create_app

__all__ = ["create_app"]
