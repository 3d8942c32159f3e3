"""Fixed vocabulary of the demo machinery portal: segments, tiers, places, staff roles, words."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

PORTAL_NAME = "中国机械设备网（演示）"
PORTAL_HOST = "www.jixie-demo.cn"
PORTAL_MOBILE_HOST = "m.jixie-demo.cn"
PORTAL_TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Segment:
    """An industry segment: Chinese name, slug for category URLs, weight among companies."""

    name: str
    slug: str
    weight: float
    keywords: tuple[str, ...]


SEGMENTS: tuple[Segment, ...] = (
    Segment("工程机械", "gongchengjixie", 1.6, ("挖掘机配件", "装载机", "压路机租赁", "挖掘机")),
    Segment("机床工具", "jichuang", 1.5, ("数控车床", "加工中心价格", "磨床厂家", "数控刀具")),
    Segment("农业机械", "nongji", 1.0, ("拖拉机", "收割机配件", "播种机", "植保无人机")),
    Segment("包装机械", "baozhuangjixie", 1.1, ("包装机", "封口机厂家", "灌装机", "缠绕膜机")),
    Segment("食品机械", "shipinjixie", 0.9, ("烘焙设备", "灭菌锅", "食品加工机械", "切片机")),
    Segment("矿山机械", "kuangshanjixie", 0.7, ("破碎机", "球磨机价格", "振动筛", "制砂机")),
    Segment("纺织机械", "fangzhijixie", 0.5, ("织布机", "喷气织机", "绣花机", "纺纱设备")),
    Segment("印刷机械", "yinshuajixie", 0.5, ("印刷机", "模切机", "丝印机", "覆膜机")),
    Segment("起重运输", "qizhongyunshu", 0.8, ("电动葫芦", "桥式起重机", "输送机", "叉车")),
    Segment("液压气动", "yeyaqidong", 1.0, ("液压油缸", "液压站", "气缸厂家", "电磁阀")),
)

# Generic searches that lead to any machinery shop.
GENERIC_KEYWORDS: tuple[str, ...] = ("机械设备", "二手设备", "机械厂家", "设备批发", "非标设备定制")


@dataclass(frozen=True)
class Tier:
    """A paid membership grade: portal grade id, name, list price by date, traffic multiplier."""

    grade_id: int
    name: str
    prices: tuple[tuple[dt.date, int], ...]
    exposure: float
    has_ads: bool

    def price_on(self, day: dt.date) -> int:
        """List price in CNY in force on `day`; prices are sorted by the date they took effect."""
        current = self.prices[0][1]
        for since, price in self.prices:
            if day >= since:
                current = price
        return current


_EPOCH = dt.date(2000, 1, 1)

TIERS: tuple[Tier, ...] = (
    Tier(2, "普通会员", ((_EPOCH, 6800), (dt.date(2025, 7, 1), 7800)), 1.0, False),
    Tier(3, "银牌会员", ((_EPOCH, 12800),), 1.3, False),
    Tier(4, "金牌会员", ((_EPOCH, 19800), (dt.date(2025, 1, 1), 22800)), 1.7, True),
    Tier(5, "钻石会员", ((_EPOCH, 39800),), 2.4, True),
)
FREE_GRADE = (1, "免费会员")

# Share of first contracts per tier; renewals move between neighbouring tiers.
TIER_WEIGHTS = (0.45, 0.3, 0.17, 0.08)
DISCOUNTS = (1.0, 1.0, 1.0, 0.95, 0.9, 0.88, 0.85, 0.8)

# Provinces with a manufacturing weight and a few cities each.
PROVINCES: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("江苏省", 2.2, ("苏州", "无锡", "常州", "南通", "徐州")),
    ("浙江省", 2.0, ("杭州", "宁波", "台州", "温州", "金华")),
    ("山东省", 2.0, ("济南", "青岛", "潍坊", "临沂", "济宁")),
    ("广东省", 1.8, ("广州", "东莞", "佛山", "深圳", "中山")),
    ("河北省", 1.2, ("石家庄", "沧州", "邢台", "保定")),
    ("河南省", 1.2, ("郑州", "洛阳", "新乡", "焦作")),
    ("上海市", 0.9, ("上海",)),
    ("湖南省", 0.8, ("长沙", "株洲", "湘潭")),
    ("安徽省", 0.7, ("合肥", "芜湖", "马鞍山")),
    ("湖北省", 0.7, ("武汉", "襄阳", "十堰")),
    ("辽宁省", 0.7, ("沈阳", "大连", "鞍山")),
    ("四川省", 0.6, ("成都", "德阳", "绵阳")),
    ("福建省", 0.6, ("泉州", "厦门", "福州")),
    ("天津市", 0.5, ("天津",)),
    ("北京市", 0.4, ("北京",)),
    ("江西省", 0.4, ("南昌", "赣州")),
    ("重庆市", 0.4, ("重庆",)),
    ("陕西省", 0.4, ("西安", "宝鸡")),
    ("山西省", 0.3, ("太原", "大同")),
    ("吉林省", 0.3, ("长春", "吉林")),
    ("黑龙江省", 0.2, ("哈尔滨", "齐齐哈尔")),
    ("广西壮族自治区", 0.2, ("南宁", "柳州")),
    ("云南省", 0.1, ("昆明",)),
    ("内蒙古自治区", 0.1, ("包头", "呼和浩特")),
    ("新疆维吾尔自治区", 0.1, ("乌鲁木齐",)),
)

# Area codes of the cities above, for landline numbers like 0512-6688xxxx.
AREA_CODES: dict[str, str] = {
    "苏州": "0512",
    "无锡": "0510",
    "常州": "0519",
    "南通": "0513",
    "徐州": "0516",
    "杭州": "0571",
    "宁波": "0574",
    "台州": "0576",
    "温州": "0577",
    "金华": "0579",
    "济南": "0531",
    "青岛": "0532",
    "潍坊": "0536",
    "临沂": "0539",
    "济宁": "0537",
    "广州": "020",
    "东莞": "0769",
    "佛山": "0757",
    "深圳": "0755",
    "中山": "0760",
    "石家庄": "0311",
    "沧州": "0317",
    "邢台": "0319",
    "保定": "0312",
    "郑州": "0371",
    "洛阳": "0379",
    "新乡": "0373",
    "焦作": "0391",
    "上海": "021",
    "长沙": "0731",
    "株洲": "0731",
    "湘潭": "0731",
    "合肥": "0551",
    "芜湖": "0553",
    "马鞍山": "0555",
    "武汉": "027",
    "襄阳": "0710",
    "十堰": "0719",
    "沈阳": "024",
    "大连": "0411",
    "鞍山": "0412",
    "成都": "028",
    "德阳": "0838",
    "绵阳": "0816",
    "泉州": "0595",
    "厦门": "0592",
    "福州": "0591",
    "天津": "022",
    "北京": "010",
    "南昌": "0791",
    "赣州": "0797",
    "重庆": "023",
    "西安": "029",
    "宝鸡": "0917",
    "太原": "0351",
    "大同": "0352",
    "长春": "0431",
    "吉林": "0432",
    "哈尔滨": "0451",
    "齐齐哈尔": "0452",
    "南宁": "0771",
    "柳州": "0772",
    "昆明": "0871",
    "包头": "0472",
    "呼和浩特": "0471",
    "乌鲁木齐": "0991",
}

COMPANY_SIZES: tuple[tuple[str, float], ...] = (
    ("10人以下", 0.18),
    ("10-50人", 0.34),
    ("50-200人", 0.28),
    ("200-500人", 0.12),
    ("500-1000人", 0.05),
    ("1000人以上", 0.03),
)

# Brand syllables with their pinyin, so that shop slugs can be spelled from company names.
BRAND_SYLLABLES: tuple[tuple[str, str], ...] = (
    ("恒", "heng"),
    ("通", "tong"),
    ("华", "hua"),
    ("力", "li"),
    ("鑫", "xin"),
    ("宏", "hong"),
    ("达", "da"),
    ("盛", "sheng"),
    ("泰", "tai"),
    ("隆", "long"),
    ("源", "yuan"),
    ("博", "bo"),
    ("远", "yuan"),
    ("创", "chuang"),
    ("德", "de"),
    ("瑞", "rui"),
    ("丰", "feng"),
    ("富", "fu"),
    ("金", "jin"),
    ("晟", "sheng"),
    ("誉", "yu"),
    ("科", "ke"),
    ("润", "run"),
    ("海", "hai"),
    ("天", "tian"),
    ("信", "xin"),
    ("锐", "rui"),
    ("嘉", "jia"),
    ("建", "jian"),
    ("中", "zhong"),
    ("正", "zheng"),
    ("永", "yong"),
    ("东", "dong"),
    ("方", "fang"),
    ("铭", "ming"),
    ("凯", "kai"),
    ("捷", "jie"),
    ("豪", "hao"),
    ("巨", "ju"),
    ("精", "jing"),
    ("联", "lian"),
    ("亚", "ya"),
    ("明", "ming"),
    ("威", "wei"),
    ("宇", "yu"),
    ("佳", "jia"),
    ("昌", "chang"),
    ("兴", "xing"),
    ("奥", "ao"),
    ("腾", "teng"),
    ("鼎", "ding"),
    ("诺", "nuo"),
    ("汇", "hui"),
)

# Trade words of a machinery company name, with the pinyin used in slugs.
TRADE_WORDS: tuple[tuple[str, str], ...] = (
    ("机械", "jixie"),
    ("重工", "zhonggong"),
    ("机电", "jidian"),
    ("机床", "jichuang"),
    ("液压", "yeya"),
    ("装备", "zhuangbei"),
    ("设备", "shebei"),
    ("传动", "chuandong"),
    ("精机", "jingji"),
    ("智能装备", "zhineng"),
    ("动力", "dongli"),
    ("工业", "gongye"),
)

COMPANY_SUFFIXES: tuple[str, ...] = (
    "有限公司",
    "有限公司",
    "有限公司",
    "制造有限公司",
    "股份有限公司",
    "科技有限公司",
)

INQUIRY_TITLES: tuple[str, ...] = (
    "请报个价",
    "需要产品资料",
    "求购一台",
    "批量采购询价",
    "能否定制",
    "交货期多久",
    "有现货吗",
    "想了解一下参数",
    "代理合作",
    "售后怎么保障",
)

GUESTBOOK_TEXTS: tuple[str, ...] = (
    "请尽快联系我",
    "你好，方便留个电话吗",
    "对贵公司产品感兴趣",
    "能发一份报价单吗",
    "有没有二手的",
    "请问支持上门安装吗",
    "出口吗",
    "发过来一份目录",
)
