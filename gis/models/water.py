"""Water areas (rivers, lakes): the walking network may cross them only on bridges."""

from geoalchemy2 import WKBElement
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from gis.models.base import Base, geometry, valid_geometry


class WaterArea(Base):
    """A river or lake surface as a CGCS2000 (EPSG:4490) multipolygon."""

    __tablename__ = "water_area"
    __table_args__ = (valid_geometry(),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(100))
    geom: Mapped[WKBElement] = mapped_column(geometry("MULTIPOLYGON"), nullable=False)
