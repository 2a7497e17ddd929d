from .html import render_html, write_html
from .model import CheckView, CheckpointView, ClassView, CopyView, NodeView, VerifyView

__all__ = ["CheckView", "CheckpointView", "ClassView", "CopyView", "NodeView", "VerifyView",
           "render_html", "write_html"]
