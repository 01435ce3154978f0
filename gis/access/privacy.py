"""Masking of residents' personal data (ID numbers, phones, names) on the way out."""

from __future__ import annotations

import pandas as pd


def mask_phone(phone: str | None) -> str | None:
    """'13812345678' -> '138****5678'."""
    if not phone:
        return phone
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_id_number(id_number: str | None) -> str | None:
    """'320102199001011234' -> '320102********1234' (birth date hidden)."""
    if not id_number:
        return id_number
    return f"{id_number[:6]}{'*' * max(len(id_number) - 10, 0)}{id_number[-4:]}"


def mask_name(name: str | None) -> str | None:
    """'张三丰' -> '张**'."""
    if not name:
        return name
    return name[0] + "*" * (len(name) - 1)


MASKS = {"phone": mask_phone, "reporter_phone": mask_phone, "id_number": mask_id_number,
         "reporter_name": mask_name, "head_name": mask_name}


def mask_frame(frame: pd.DataFrame, *, reveal: bool = False) -> pd.DataFrame:
    """A copy of ``frame`` with every personal column masked, unless ``reveal``."""
    if reveal:
        return frame
    out = frame.copy()
    for column, mask in MASKS.items():
        if column in out.columns:
            out[column] = out[column].map(mask, na_action="ignore")
    return out


def mask_record(record: dict, *, reveal: bool = False) -> dict:
    """A copy of one record with its personal fields masked, unless ``reveal``."""
    if reveal:
        return record
    return {k: (MASKS[k](v) if k in MASKS and isinstance(v, str) else v)
            for k, v in record.items()}
