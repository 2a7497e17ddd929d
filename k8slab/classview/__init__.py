from .model import CheckView, CheckpointView, ClassView, CopyView, NodeView, VerifyView  # noqa: F401
