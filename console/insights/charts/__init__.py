"""The insights charts, one function each (importing this package registers them; see ``registry.register``)."""

from console.insights.charts import delivery, families, sessions

__all__ = ["delivery", "families", "sessions"]
