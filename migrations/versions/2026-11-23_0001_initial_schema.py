"""initial schema: admin units, grids, people, facilities, network, events, plans, keys

Revision ID: 0001
Revises:
Create Date: 2026-11-23 23:38:30.356281
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # the embedded cluster makes these already; a database of the user's own may not have them
    for ext in ("postgis", "pgrouting", "pg_trgm"):
        op.execute(f"CREATE EXTENSION IF NOT EXISTS {ext} CASCADE")
    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column("label", sa.String(length=100), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('admin', 'planner', 'dispatcher', 'grid_worker', 'viewer')",
            name=op.f("ck_api_key_role_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_key_prefix")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=100), nullable=True),
        sa.Column(
            "details", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"], unique=False)
    op.create_table(
        "grid_worker",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("role", sa.String(length=12), server_default="full_time", nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("duties", sa.Text(), nullable=True),
        sa.Column("supervision_phone", sa.String(length=20), nullable=True),
        sa.CheckConstraint(
            "role IN ('full_time', 'part_time')", name=op.f("ck_grid_worker_role_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grid_worker")),
        sa.UniqueConstraint("code", name=op.f("uq_grid_worker_code")),
    )
    op.create_geospatial_table(
        "region",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("parent_code", sa.String(length=12), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("code ~ '^[0-9]{12}$'", name=op.f("ck_region_code_12_digits")),
        sa.CheckConstraint(
            "level IN ('district', 'subdistrict', 'community')", name=op.f("ck_region_level_known")
        ),
        sa.CheckConstraint("ST_IsValid(geom)", name=op.f("ck_region_geom_valid")),
        sa.ForeignKeyConstraint(
            ["parent_code"],
            ["region.code"],
            name=op.f("fk_region_parent_code_region"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region")),
        sa.UniqueConstraint("code", name=op.f("uq_region_code")),
    )
    op.create_geospatial_index(
        "idx_region_geom",
        "region",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_region_parent_code"), "region", ["parent_code"], unique=False)
    op.create_geospatial_table(
        "road_node",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_road_node")),
    )
    op.create_geospatial_index(
        "idx_road_node_geom",
        "road_node",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_geospatial_table(
        "facility",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("opening_hours", sa.String(length=100), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("community_code", sa.String(length=12), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column(
            "entrance",
            Geometry(
                geometry_type="POINT",
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "level IS NULL OR level IN ('district', 'subdistrict', 'community', 'compound')",
            name=op.f("ck_facility_level_known"),
        ),
        sa.CheckConstraint(
            "type IN ('party_center', 'clinic', 'elderly_care', 'school', 'kindergarten', 'shelter', 'emergency_supply', 'police_post', 'other')",
            name=op.f("ck_facility_type_known"),
        ),
        sa.CheckConstraint("ST_IsValid(geom)", name=op.f("ck_facility_geom_valid")),
        sa.CheckConstraint(
            "capacity IS NULL OR capacity >= 0", name=op.f("ck_facility_capacity_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["community_code"], ["region.code"], name=op.f("fk_facility_community_code_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facility")),
        sa.UniqueConstraint("code", name=op.f("uq_facility_code")),
    )
    op.create_geospatial_index(
        "idx_facility_entrance",
        "facility",
        ["entrance"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_geospatial_index(
        "idx_facility_geom",
        "facility",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        op.f("ix_facility_community_code"), "facility", ["community_code"], unique=False
    )
    op.create_index(op.f("ix_facility_type"), "facility", ["type"], unique=False)
    op.create_geospatial_table(
        "grid",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("theme", sa.String(length=12), server_default="unified", nullable=False),
        sa.Column("kind", sa.String(length=12), server_default="residential", nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=True),
        sa.Column("locked", sa.Boolean(), server_default="false", nullable=False),
        sa.Column(
            "valid_from",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('residential', 'commercial', 'industrial', 'rural', 'special')",
            name=op.f("ck_grid_kind_known"),
        ),
        sa.CheckConstraint(
            "theme IN ('unified', 'party', 'security', 'civil', 'urban')",
            name=op.f("ck_grid_theme_known"),
        ),
        sa.CheckConstraint("ST_IsValid(geom)", name=op.f("ck_grid_geom_valid")),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to > valid_from", name=op.f("ck_grid_valid_period")
        ),
        sa.ForeignKeyConstraint(
            ["community_code"], ["region.code"], name=op.f("fk_grid_community_code_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grid")),
    )
    op.create_geospatial_index(
        "idx_grid_geom", "grid", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_index(op.f("ix_grid_code"), "grid", ["code"], unique=False)
    op.create_index(op.f("ix_grid_community_code"), "grid", ["community_code"], unique=False)
    op.create_index(
        "uq_grid_current_code",
        "grid",
        ["theme", "code"],
        unique=True,
        postgresql_where=sa.text("valid_to IS NULL"),
    )
    op.create_table(
        "plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("scope_code", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="draft", nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "params", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column(
            "metrics", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.CheckConstraint(
            "kind IN ('balance', 'merge', 'manual')", name=op.f("ck_plan_kind_known")
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'applied', 'rejected')", name=op.f("ck_plan_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["scope_code"], ["region.code"], name=op.f("fk_plan_scope_code_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan")),
    )
    op.create_geospatial_table(
        "road_edge",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.BigInteger(), nullable=False),
        sa.Column("target", sa.BigInteger(), nullable=False),
        sa.Column("length_m", sa.Float(), nullable=False),
        sa.Column("cost", sa.Float(), nullable=False),
        sa.Column("reverse_cost", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("component", sa.BigInteger(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="LINESTRING",
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("ST_IsValid(geom)", name=op.f("ck_road_edge_geom_valid")),
        sa.ForeignKeyConstraint(
            ["source"],
            ["road_node.id"],
            name=op.f("fk_road_edge_source_road_node"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target"],
            ["road_node.id"],
            name=op.f("fk_road_edge_target_road_node"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_road_edge")),
    )
    op.create_geospatial_index(
        "idx_road_edge_geom",
        "road_edge",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_road_edge_source"), "road_edge", ["source"], unique=False)
    op.create_index(op.f("ix_road_edge_target"), "road_edge", ["target"], unique=False)
    op.create_geospatial_table(
        "building",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("compound", sa.String(length=100), nullable=True),
        sa.Column("floors", sa.Integer(), nullable=True),
        sa.Column("households", sa.Integer(), server_default="0", nullable=False),
        sa.Column("residents", sa.Integer(), server_default="0", nullable=False),
        sa.Column("use", sa.String(length=20), server_default="residential", nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("ST_IsValid(geom)", name=op.f("ck_building_geom_valid")),
        sa.CheckConstraint(
            "households >= 0 AND residents >= 0", name=op.f("ck_building_counts_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["community_code"], ["region.code"], name=op.f("fk_building_community_code_region")
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"], ["grid.id"], name=op.f("fk_building_grid_id_grid"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_building")),
        sa.UniqueConstraint("code", name=op.f("uq_building_code")),
    )
    op.create_geospatial_index(
        "idx_building_geom",
        "building",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        "ix_building_address_trgm",
        "building",
        ["address"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"address": "gin_trgm_ops"},
    )
    op.create_index(
        op.f("ix_building_community_code"), "building", ["community_code"], unique=False
    )
    op.create_index(op.f("ix_building_grid_id"), "building", ["grid_id"], unique=False)
    op.create_geospatial_table(
        "event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="reported", nullable=False),
        sa.Column("priority", sa.SmallInteger(), server_default="2", nullable=False),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("reporter_name", sa.String(length=50), nullable=True),
        sa.Column("reporter_phone", sa.String(length=20), nullable=True),
        sa.Column("source_crs", sa.String(length=20), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("grid_version", sa.Integer(), nullable=True),
        sa.Column("community_code", sa.String(length=12), nullable=True),
        sa.Column("subdistrict_code", sa.String(length=12), nullable=True),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.Column("escalation_level", sa.String(length=20), server_default="grid", nullable=False),
        sa.Column("satisfaction", sa.SmallInteger(), nullable=True),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column(
            "reported_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.CheckConstraint(
            "channel IN ('12345', 'patrol', 'resident_app', 'city_management', 'open311', 'other')",
            name=op.f("ck_event_channel_known"),
        ),
        sa.CheckConstraint(
            "geom IS NOT NULL OR status = 'needs_location' OR address IS NOT NULL",
            name=op.f("ck_event_located_or_addressed"),
        ),
        sa.CheckConstraint(
            "status IN ('needs_location', 'reported', 'accepted', 'dispatched', 'in_progress', 'resolved', 'verified', 'closed', 'returned', 'reopened')",
            name=op.f("ck_event_status_known"),
        ),
        sa.CheckConstraint(
            "satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5",
            name=op.f("ck_event_satisfaction_range"),
        ),
        sa.ForeignKeyConstraint(["grid_id"], ["grid.id"], name=op.f("fk_event_grid_id_grid")),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["grid_worker.id"], name=op.f("fk_event_worker_id_grid_worker")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event")),
        sa.UniqueConstraint("code", name=op.f("uq_event_code")),
    )
    op.create_geospatial_index(
        "idx_event_geom",
        "event",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_event_category"), "event", ["category"], unique=False)
    op.create_index(op.f("ix_event_community_code"), "event", ["community_code"], unique=False)
    op.create_index(op.f("ix_event_grid_id"), "event", ["grid_id"], unique=False)
    op.create_index(op.f("ix_event_reported_at"), "event", ["reported_at"], unique=False)
    op.create_index(op.f("ix_event_status"), "event", ["status"], unique=False)
    op.create_table(
        "grid_worker_grid",
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("is_primary", sa.Boolean(), server_default="true", nullable=False),
        sa.ForeignKeyConstraint(
            ["grid_id"],
            ["grid.id"],
            name=op.f("fk_grid_worker_grid_grid_id_grid"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["grid_worker.id"],
            name=op.f("fk_grid_worker_grid_worker_id_grid_worker"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("worker_id", "grid_id", name=op.f("pk_grid_worker_grid")),
    )
    op.create_index(
        op.f("ix_grid_worker_grid_grid_id"), "grid_worker_grid", ["grid_id"], unique=False
    )
    op.create_geospatial_table(
        "plan_grid",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=12), server_default="residential", nullable=False),
        sa.Column("households", sa.Integer(), server_default="0", nullable=False),
        sa.Column("compactness", sa.Float(), nullable=True),
        sa.Column("flag", sa.String(length=40), nullable=True),
        sa.Column("source_grid_id", sa.Integer(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_plan_grid_plan_id_plan"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["source_grid_id"], ["grid.id"], name=op.f("fk_plan_grid_source_grid_id_grid")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_grid")),
    )
    op.create_geospatial_index(
        "idx_plan_grid_geom",
        "plan_grid",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_plan_grid_plan_id"), "plan_grid", ["plan_id"], unique=False)
    op.create_geospatial_table(
        "service_area",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Float(), nullable=False),
        sa.Column("speed_m_per_min", sa.Float(), nullable=False),
        sa.Column("snap_distance_m", sa.Float(), nullable=True),
        sa.Column("network_version", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "computed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("ST_IsValid(geom)", name=op.f("ck_service_area_geom_valid")),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facility.id"],
            name=op.f("fk_service_area_facility_id_facility"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_area")),
    )
    op.create_geospatial_index(
        "idx_service_area_geom",
        "service_area",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        op.f("ix_service_area_facility_id"), "service_area", ["facility_id"], unique=False
    )
    op.create_table(
        "event_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_event_log_event_id_event"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_log")),
    )
    op.create_index(op.f("ix_event_log_event_id"), "event_log", ["event_id"], unique=False)
    op.create_table(
        "household",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=True),
        sa.Column("room", sa.String(length=20), nullable=True),
        sa.Column("head_name", sa.String(length=50), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("size", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["building.id"],
            name=op.f("fk_household_building_id_building"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household")),
        sa.UniqueConstraint("code", name=op.f("uq_household_code")),
    )
    op.create_index(op.f("ix_household_building_id"), "household", ["building_id"], unique=False)
    op.create_table(
        "plan_building",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("plan_grid_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["building.id"],
            name=op.f("fk_plan_building_building_id_building"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_grid_id"],
            ["plan_grid.id"],
            name=op.f("fk_plan_building_plan_grid_id_plan_grid"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_plan_building_plan_id_plan"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("plan_id", "building_id", name=op.f("pk_plan_building")),
    )
    op.create_index(
        op.f("ix_plan_building_plan_grid_id"), "plan_building", ["plan_grid_id"], unique=False
    )
    op.create_table(
        "plan_crosswalk",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("old_grid_id", sa.Integer(), nullable=False),
        sa.Column("plan_grid_id", sa.Integer(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["old_grid_id"], ["grid.id"], name=op.f("fk_plan_crosswalk_old_grid_id_grid")
        ),
        sa.ForeignKeyConstraint(
            ["plan_grid_id"],
            ["plan_grid.id"],
            name=op.f("fk_plan_crosswalk_plan_grid_id_plan_grid"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plan.id"],
            name=op.f("fk_plan_crosswalk_plan_id_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "plan_id", "old_grid_id", "plan_grid_id", name=op.f("pk_plan_crosswalk")
        ),
    )
    op.create_table(
        "resident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("gender", sa.String(length=1), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("relation", sa.String(length=20), nullable=True),
        sa.Column(
            "categories", sa.ARRAY(sa.String(length=20)), server_default="{}", nullable=False
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "gender IN ('M', 'F') OR gender IS NULL", name=op.f("ck_resident_gender_known")
        ),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["building.id"],
            name=op.f("fk_resident_building_id_building"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_resident_household_id_household"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident")),
        sa.UniqueConstraint("code", name=op.f("uq_resident_code")),
    )
    op.create_index(op.f("ix_resident_building_id"), "resident", ["building_id"], unique=False)
    op.create_index(op.f("ix_resident_household_id"), "resident", ["household_id"], unique=False)


def downgrade() -> None:
    # extensions stay: other schemas of the same database may use them
    op.drop_index(op.f("ix_resident_household_id"), table_name="resident")
    op.drop_index(op.f("ix_resident_building_id"), table_name="resident")
    op.drop_table("resident")
    op.drop_table("plan_crosswalk")
    op.drop_index(op.f("ix_plan_building_plan_grid_id"), table_name="plan_building")
    op.drop_table("plan_building")
    op.drop_index(op.f("ix_household_building_id"), table_name="household")
    op.drop_table("household")
    op.drop_index(op.f("ix_event_log_event_id"), table_name="event_log")
    op.drop_table("event_log")
    op.drop_index(op.f("ix_service_area_facility_id"), table_name="service_area")
    op.drop_geospatial_index(
        "idx_service_area_geom",
        table_name="service_area",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_geospatial_table("service_area")
    op.drop_index(op.f("ix_plan_grid_plan_id"), table_name="plan_grid")
    op.drop_geospatial_index(
        "idx_plan_grid_geom", table_name="plan_grid", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("plan_grid")
    op.drop_index(op.f("ix_grid_worker_grid_grid_id"), table_name="grid_worker_grid")
    op.drop_table("grid_worker_grid")
    op.drop_index(op.f("ix_event_status"), table_name="event")
    op.drop_index(op.f("ix_event_reported_at"), table_name="event")
    op.drop_index(op.f("ix_event_grid_id"), table_name="event")
    op.drop_index(op.f("ix_event_community_code"), table_name="event")
    op.drop_index(op.f("ix_event_category"), table_name="event")
    op.drop_geospatial_index(
        "idx_event_geom", table_name="event", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("event")
    op.drop_index(op.f("ix_building_grid_id"), table_name="building")
    op.drop_index(op.f("ix_building_community_code"), table_name="building")
    op.drop_index(
        "ix_building_address_trgm",
        table_name="building",
        postgresql_using="gin",
        postgresql_ops={"address": "gin_trgm_ops"},
    )
    op.drop_geospatial_index(
        "idx_building_geom", table_name="building", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("building")
    op.drop_index(op.f("ix_road_edge_target"), table_name="road_edge")
    op.drop_index(op.f("ix_road_edge_source"), table_name="road_edge")
    op.drop_geospatial_index(
        "idx_road_edge_geom", table_name="road_edge", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("road_edge")
    op.drop_table("plan")
    op.drop_index(
        "uq_grid_current_code", table_name="grid", postgresql_where=sa.text("valid_to IS NULL")
    )
    op.drop_index(op.f("ix_grid_community_code"), table_name="grid")
    op.drop_index(op.f("ix_grid_code"), table_name="grid")
    op.drop_geospatial_index(
        "idx_grid_geom", table_name="grid", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("grid")
    op.drop_index(op.f("ix_facility_type"), table_name="facility")
    op.drop_index(op.f("ix_facility_community_code"), table_name="facility")
    op.drop_geospatial_index(
        "idx_facility_geom", table_name="facility", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_index(
        "idx_facility_entrance",
        table_name="facility",
        postgresql_using="gist",
        column_name="entrance",
    )
    op.drop_geospatial_table("facility")
    op.drop_geospatial_index(
        "idx_road_node_geom", table_name="road_node", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("road_node")
    op.drop_index(op.f("ix_region_parent_code"), table_name="region")
    op.drop_geospatial_index(
        "idx_region_geom", table_name="region", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("region")
    op.drop_table("grid_worker")
    op.drop_index(op.f("ix_audit_log_at"), table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("api_key")
