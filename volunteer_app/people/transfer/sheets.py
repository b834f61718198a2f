"""The sheet declarations: every column of the volunteer and resident 台账, declared once."""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema

from ...errors import NotFound
from ...places.models import Building, Community, Grid
from ...resources import ResourceService
from .. import schemas, service
from ..models import PriorityGroup, Resident, Volunteer, VolunteerStatus
from .cells import (Availability, Cell, Choice, ChoiceList, Day, IdNumber, Lookups, Phone, PlaceCode, Skills, Text,
                    WholeNumber)


@dataclass(frozen=True)
class Column:
    header: str
    field: str  # the schema field it feeds
    cell: Cell
    hint: str = ""
    aliases: tuple[str, ...] = ()
    width: int = 14
    value: Callable[[Any], Any] | None = None  # record → what ``cell.write`` takes; default the field

    def value_of(self, record):
        return self.value(record) if self.value else getattr(record, self.field)


@dataclass(frozen=True)
class Kind:
    """One importable registry: its sheet columns, schema, service and duplicate key."""

    name: str  # in URLs and file names
    label: str  # 志愿者 / 居民
    model: type
    schema: type[Schema]
    service: ResourceService
    columns: tuple[Column, ...]
    community_of: Callable[[dict, Lookups], int]
    samples: tuple[dict[str, Any], ...]

    def column_for(self, field_name: str) -> Column | None:
        return next((c for c in self.columns if c.field == field_name), None)

    def header_for(self, field_name: str) -> str:
        column = self.column_for(field_name)
        return column.header if column else field_name

    def required(self, column: Column) -> bool:
        """A column the schema cannot do without must be in the file (asked once, up front)."""
        return self.schema().fields[column.field].required


STATUS = Choice({VolunteerStatus.active: "在册", VolunteerStatus.paused: "暂停", VolunteerStatus.left: "退出"},
                {"正常": VolunteerStatus.active, "活跃": VolunteerStatus.active, "已退出": VolunteerStatus.left})
YES_NO = Choice({True: "是", False: "否"}, {"y": True, "n": False, "yes": True, "no": False, "1": True, "0": False})
PRIORITY = Choice({
    PriorityGroup.low_income: "低保", PriorityGroup.disabled: "残疾", PriorityGroup.elderly_alone: "独居老人",
    PriorityGroup.childless_elderly: "孤寡", PriorityGroup.hardship: "困难",
}, {"独居": PriorityGroup.elderly_alone, "孤寡老人": PriorityGroup.childless_elderly,
    "困难家庭": PriorityGroup.hardship, "低保户": PriorityGroup.low_income, "残疾人": PriorityGroup.disabled})

NAME = Column("姓名", "name", Text(), "必填", width=10)
PHONE = Column("手机号", "phone", Phone(), "11位手机号；同一社区内不能重复", ("手机", "手机号码", "联系电话"), width=14)
ID_NUMBER = Column("身份证号", "id_number", IdNumber(), "18位；请设为文本格式，可空", ("身份证", "身份证号码"), width=21)

VOLUNTEERS = Kind(
    name="volunteers", label="志愿者", model=Volunteer, schema=schemas.VolunteerIn, service=service.volunteers,
    columns=(
        NAME, PHONE, ID_NUMBER,
        Column("社区编码", "community_id", PlaceCode(Community), "必填，例如 yongan"),
        Column("网格编码", "grid_id", PlaceCode(Grid), "必填，须属于该社区"),
        Column("楼栋编码", "building_id", PlaceCode(Building), "可空；须属于该网格"),
        Column("技能", "skills", Skills(), "技能代码或中文名，用、分隔，例如 理发、测血压", width=22),
        Column("可服务时间", "availability", Availability(),
               "工作日/休息日/周一…周日 + 时段，多段用 ; 分隔，例如 " + Availability.EXAMPLE, width=34),
        Column("每周最多小时", "max_hours_per_week", WholeNumber(), "0–80，默认 8"),
        Column("最远距离(米)", "max_distance_m", WholeNumber(), "0–50000，默认 2000", ("最远距离",)),
        Column("状态", "status", STATUS, "在册、暂停或退出，默认在册", width=8),
        Column("是否党员", "is_party_member", YES_NO, "是或否", width=8),
        Column("加入日期", "joined_on", Day(), "例如 2024-03-01，默认今天", width=12),
    ),
    community_of=lambda data, lookups: data["community_id"],
    samples=(
        {"姓名": "王建国", "手机号": "17743100001", "身份证号": "220102196505123417", "社区编码": "yongan",
         "网格编码": "yongan-g1", "楼栋编码": "yongan-b01", "技能": "理发、磨刀", "可服务时间": "工作日 08:30-11:30",
         "每周最多小时": 10, "最远距离(米)": 1500, "状态": "在册", "是否党员": "是", "加入日期": date(2021, 4, 12)},
        {"姓名": "李晓梅", "手机号": "17743100002", "身份证号": "220102198809162422", "社区编码": "yongan",
         "网格编码": "yongan-g2", "技能": "法律咨询、纠纷调解", "可服务时间": "工作日 18:30-21:00; 周六 09:00-12:00",
         "每周最多小时": 6, "最远距离(米)": 3000, "状态": "在册", "是否党员": "是", "加入日期": date(2023, 7, 1)},
        {"姓名": "赵子涵", "手机号": "17743100003", "社区编码": "xinghua", "网格编码": "xinghua-g1",
         "楼栋编码": "xinghua-b02", "技能": "tutoring, first_aid", "可服务时间": "周六、周日 14:00-17:00",
         "每周最多小时": 4, "状态": "在册", "是否党员": "否", "加入日期": date(2025, 9, 20)},
        {"姓名": "孙立伟", "手机号": "17743100004", "社区编码": "tongxin", "网格编码": "tongxin-g3",
         "技能": "维修、疏通下水、线路维修", "可服务时间": "周二 19:00-21:00; 休息日 09:00-11:30",
         "每周最多小时": 5, "最远距离(米)": 2500, "状态": "暂停", "是否党员": "否", "加入日期": date(2022, 11, 5)},
    ),
)

RESIDENTS = Kind(
    name="residents", label="居民", model=Resident, schema=schemas.ResidentIn, service=service.residents,
    columns=(
        NAME, PHONE, ID_NUMBER,
        Column("楼栋编码", "building_id", PlaceCode(Building), "必填，例如 yongan-b01；社区和网格随楼栋"),
        Column("门牌", "household", Text(), "单元/门牌，例如 2单元301", ("单元门牌", "户号", "门牌号")),
        Column("重点人群", "priority_groups", ChoiceList(PRIORITY), "低保、残疾、独居老人、孤寡、困难，可多选，用、分隔",
               width=20, value=lambda r: [g.group for g in r.priority_groups]),
        Column("备注", "notes", Text(fold=False), "最多 256 字", width=30),
    ),
    community_of=lambda data, lookups: lookups.by_id(Building, data["building_id"]).community_id,
    samples=(
        {"姓名": "刘淑兰", "手机号": "17743100011", "身份证号": "220102194203153021", "楼栋编码": "yongan-b01",
         "门牌": "1单元201", "重点人群": "独居老人、孤寡", "备注": "行动不便，需上门服务"},
        {"姓名": "陈国富", "手机号": "17743100012", "楼栋编码": "xinghua-b03", "门牌": "3单元502",
         "重点人群": "低保、残疾"},
        {"姓名": "周婷", "手机号": "17743100013", "楼栋编码": "tongxin-b05", "门牌": "2单元101"},
    ),
)

KINDS = {kind.name: kind for kind in (VOLUNTEERS, RESIDENTS)}


def kind_named(name: str) -> Kind:
    if name not in KINDS:
        raise NotFound(_l("Nothing to import or export as %(name)s.", name=repr(name)))
    return KINDS[name]
