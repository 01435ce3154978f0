"""Fixed vocabularies of the demo district: codes, place names, street names, people's names.

Everything here is fictional but plausible for 连云港市海州区; nothing is drawn at random in
this module (the generators draw from these tables with their own ``numpy`` Generator).
"""

from __future__ import annotations

from typing import Final

import numpy as np

DISTRICT_CODE: Final = "320706000000"
DISTRICT_NAME: Final = "海州区"
SUBDISTRICT_CODE: Final = "320706013000"
SUBDISTRICT_NAME: Final = "苍梧街道"
COMMUNITY_NAMES: Final = ("朐阳社区", "秦东门社区", "孔望社区", "玉带社区", "凤凰社区", "锦屏社区")
COMMUNITY_CODES: Final = tuple(f"320706013{i:03d}" for i in range(1, len(COMMUNITY_NAMES) + 1))
DEMO_CODES: Final = (DISTRICT_CODE, SUBDISTRICT_CODE, *COMMUNITY_CODES)
ID_PREFIX: Final = "320706"  # 居民身份证 region prefix (海州区)
CITY_PREFIX: Final = "江苏省连云港市海州区"
RIVER_NAME: Final = "玉带河"
SUPERVISION_PHONE: Final = "0518-85801234"  # 街道监督电话 on every 上岗公示 board

# Streets of the demo layout; names of real Lianyungang streets, layout fictional.
EW_MAIN: Final = ("海连路", "朐阳路", "秦东门大街", "苍梧路")
NS_MAIN: Final = ("通灌路", "解放路", "郁州路", "建设路")
EW_SECONDARY: Final = ("幸福路", "龙河路", "盐河路")
NS_SECONDARY: Final = ("孔望山路", "云台路", "花果山路")
DIAGONAL_MAIN: Final = "海宁大道"
BRIDGE_NAMES: Final = ("解放桥", "郁州桥")

COMPOUND_HEADS: Final = (
    "锦绣", "和平", "幸福", "阳光", "朐阳", "凤凰", "翠苑", "金港", "海棠", "颐和", "紫荆", "东方",
    "御景", "银河", "新城", "龙湖", "盛世", "丽景", "康居", "桃园", "绿苑", "华府", "盐河", "云台",
    "苍梧", "春晖", "秀园", "滨河", "祥和", "安居", "建业", "嘉和", "怡景", "文苑", "瑞和", "恒顺",
    "花园", "民主", "工人", "供电", "电信", "粮食局", "教师", "玉带", "明珠", "新海", "天和",
    "福星",
)
COMPOUND_TAILS: Final = (
    "小区", "花园", "家园", "新村", "苑", "公寓", "雅居", "名邸", "小区", "小区")

SURNAMES: Final = (
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧", "程", "曹",
    "袁", "邓", "许", "傅", "沈", "曾", "彭", "吕", "苏", "卢", "蒋", "蔡", "贾", "丁", "魏", "薛",
    "叶", "阎", "余", "潘", "杜", "戴", "夏", "钟", "汪", "田", "任", "姜", "范", "方", "石", "姚",
    "谭", "廖", "邹", "熊", "金", "陆", "郝", "孔", "白", "崔", "康", "毛", "邱", "秦", "江", "史",
)
# rough frequencies (王李张刘陈 lead, a long tail after them)
SURNAME_WEIGHTS: Final = np.r_[np.array([7.2, 7.0, 6.8, 5.4, 4.5]), np.linspace(3.0, 0.4, 75)]
GIVEN_MALE: Final = tuple(
    "伟强磊军勇杰涛明超斌鹏辉华建国平刚海波浩宇俊峰东亮健文博志凯飞龙林成永春鑫洋")
GIVEN_FEMALE: Final = tuple(
    "芳娜敏静丽艳娟霞秀英华玲燕萍红梅琳颖倩婷雪慧佳怡欣悦晶莉瑶兰凤琴云桂丹蓉")
PHONE_PREFIXES: Final = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "177", "180", "181", "182", "183", "185", "186", "187",
    "188", "189", "199",
)
RELATIONS: Final = ("户主", "配偶", "子女", "父母", "孙子女", "兄弟姐妹", "其他")
