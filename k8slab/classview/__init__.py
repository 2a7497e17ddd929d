from .html import render_html, write_html  # noqa: F401
from .model import CheckView, CheckpointView, ClassView, CopyView, NodeView, VerifyView  # noqa: F401
