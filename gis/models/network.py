"""The walking network, pgRouting-ready (source, target, cost, reverse_cost in metres)."""

from geoalchemy2 import WKBElement
from sqlalchemy import BigInteger, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from gis.models.base import Base, geometry, valid_geometry


class RoadNode(Base):
    __tablename__ = "road_node"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    geom: Mapped[WKBElement] = mapped_column(geometry("POINT"), nullable=False)


class RoadEdge(Base):
    """A walkable edge; cost and reverse_cost are lengths in metres (walking ignores one-way)."""

    __tablename__ = "road_edge"
    __table_args__ = (valid_geometry(),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    source: Mapped[int] = mapped_column(ForeignKey("road_node.id", ondelete="CASCADE"),
                                        index=True)
    target: Mapped[int] = mapped_column(ForeignKey("road_node.id", ondelete="CASCADE"),
                                        index=True)
    length_m: Mapped[float] = mapped_column(Float)
    cost: Mapped[float] = mapped_column(Float)
    reverse_cost: Mapped[float] = mapped_column(Float)
    kind: Mapped[str | None] = mapped_column(String(30))
    name: Mapped[str | None] = mapped_column(String(100))
    component: Mapped[int | None] = mapped_column(BigInteger)
    geom: Mapped[WKBElement] = mapped_column(geometry("LINESTRING"), nullable=False)
