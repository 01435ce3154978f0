"""Households and residents (一户一档): names, ID numbers and phones masked unless revealed."""

from __future__ import annotations

from api.schemas.common import Open, Page


class HouseholdItem(Open):
    """A household of a building (head's name and phone masked unless revealed)."""

    id: int
    code: str
    building_code: str
    address: str | None = None
    unit: str | None = None
    room: str | None = None
    head_name: str | None = None
    phone: str | None = None
    size: int | None = None
    residents: int | None = None


class ResidentItem(Open):
    """A resident (name, ID number, phone masked and birth date withheld unless revealed)."""

    id: int
    code: str
    household_code: str | None = None
    building_code: str
    address: str | None = None
    name: str | None = None
    id_number: str | None = None
    phone: str | None = None
    gender: str | None = None
    birth_date: str | None = None
    birth_year: int | None = None
    relation: str | None = None
    categories: list[str] | None = None


HouseholdPage = Page[HouseholdItem]
ResidentPage = Page[ResidentItem]
