"""The insights charts, one function each (importing this package registers them; see ``registry.register``)."""

from console.insights.charts import delivery, families, learning, sessions

__all__ = ["delivery", "families", "learning", "sessions"]
