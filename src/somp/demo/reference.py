"""Static reference data of the demo scenario: who, what and where.

Everything here is fictitious but plausible: company names are invented combinations (no real
enterprise is meant), technical data follow published data sheets of oil-injected screw
compressors of the same size class, and prices are typical Chinese list prices (CNY, net of VAT).
The random parts of the scenario (dates, counts, failures, consumption) live in
:mod:`somp.demo.scenario`; nothing here is random.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

D = Decimal

# --------------------------------------------------------------------------- the manufacturer

MAIN_TENANT = {
    "key": "main",
    "name": "苏州澄风压缩机有限公司",
    "name_en": "Suzhou Chengfeng Compressor Co., Ltd.",
    "org_body": "MA1N7Q3K",  # GB 11714 organisation-code body; check characters are computed
    "industry_code": "C3442",  # GB/T 4754-2017 气体压缩机械制造
    "region_code": "320500",  # 苏州市
    "employees": 320,
    "revenue_10k_cny": 26000.0,  # whole company, incl. dealer and export sales not on the platform
    "address": "江苏省苏州市吴中经济技术开发区澄湖路 88 号",
    "short": "澄风",
    "serial_prefix": "CF",
}

SME_TENANT = {
    "key": "sme",
    "name": "无锡澜清干燥设备有限公司",
    "name_en": "Wuxi Lanqing Dryer Co., Ltd.",
    "org_body": "MA21R8L5",
    "industry_code": "C3463",  # 气体、液体分离及纯净设备制造
    "region_code": "320200",  # 无锡市
    "employees": 46,
    "revenue_10k_cny": 1850.0,
    "address": "江苏省无锡市惠山经济开发区堰新路 16 号",
    "short": "澜清",
    "serial_prefix": "LQ",
}

# --------------------------------------------------------------------------- products


@dataclass(frozen=True)
class Part:
    """A BOM line; ``role`` names what maintenance uses it for (None: not a maintenance part)."""

    part_number: str
    description: str
    quantity: Decimal
    unit: str
    unit_cost: Decimal
    spare_part: bool = False
    role: str | None = None


@dataclass(frozen=True)
class ProductSpec:
    code: str
    name: str
    name_en: str
    category: str
    description: str
    kw: int
    fad_m3_min: float  # free air delivery at the working pressure
    pressure_bar: float
    variable_speed: bool
    specific_power: float  # kW input per m³/min (package, at full load)
    list_price: Decimal
    unit_cost: Decimal
    spec: dict = field(default_factory=dict)
    bom: tuple[Part, ...] = ()

    def part(self, role: str) -> Part:
        for p in self.bom:
            if p.role == role:
                return p
        raise KeyError(role)


def _compressor(
    code: str,
    kw: int,
    fad: float,
    bar: float,
    vsd: bool,
    sp: float,
    price: int,
    cost: int,
    weight: int,
    noise: int,
    dims: str,
    oil_l: int,
    size: str,
) -> ProductSpec:
    kind_zh = "永磁变频" if vsd else "工频"
    two_stage = kw >= 132
    name = f"{code} {'两级压缩' if two_stage else ''}{kind_zh}喷油螺杆空压机"
    drive_en = "variable-speed" if vsd else "fixed-speed"
    name_en = f"{code} {'two-stage ' if two_stage else ''}{drive_en} oil-injected screw compressor"
    # spare parts by size class: air filter, oil filter, separator element, bearing kit, oil price per litre
    spares = {
        "s": (180, 150, 650, 2800),
        "m": (260, 220, 980, 4600),
        "l": (420, 360, 1650, 7900),
    }[size]
    c = D(cost)
    air_end = (c * D("0.30")).quantize(D("1"))
    motor = (c * D("0.17" if vsd else "0.15")).quantize(D("1"))
    drive = (c * D("0.11")).quantize(D("1")) if vsd else (c * D("0.03")).quantize(D("1"))
    cooler = (c * D("0.06")).quantize(D("1"))
    controller = D("3800") if vsd else D("2600")
    p = code.replace("-", "")
    bom = (
        Part(f"AE-{p}", f"{'两级' if two_stage else ''}螺杆主机（转子组）", D(1), "pcs", air_end),
        Part(f"MT-{p}", "IE4 永磁同步电机" if vsd else "IE3 三相异步电机", D(1), "pcs", motor),
        Part(f"VD-{p}" if vsd else f"SD-{p}", "专用变频器" if vsd else "星三角启动柜", D(1), "pcs", drive),
        Part(f"CL-{p}", "油/气一体式冷却器", D(1), "pcs", cooler),
        Part(f"CT-{p}", "智能控制器（含 4G 物联网网关）", D(1), "pcs", controller),
        Part(f"AF-{size.upper()}", "空气滤芯", D(1), "pcs", D(spares[0]), True, "air_filter"),
        Part(f"OF-{size.upper()}", "机油滤芯", D(1), "pcs", D(spares[1]), True, "oil_filter"),
        Part(f"OS-{size.upper()}", "油气分离芯", D(1), "pcs", D(spares[2]), True, "separator"),
        Part(f"BK-{p}", "主机轴承组件", D(1), "set", D(spares[3]), True, "bearings"),
        Part("OIL-46", "螺杆压缩机专用合成油（46#）", D(oil_l), "L", D(38), True, "oil"),
    )
    spec = {
        "rated_power_kw": kw,
        "free_air_delivery_m3_min": fad,
        "working_pressure_bar": bar,
        "max_pressure_bar": round(bar + 0.5, 1),
        "drive": "variable_speed" if vsd else "fixed_speed",
        "motor_efficiency_class": "IE4" if vsd else "IE3",
        "compression": "two_stage" if two_stage else "single_stage",
        "cooling": "air",
        "specific_power_kw_per_m3_min": sp,
        "noise_db_a": noise,
        "weight_kg": weight,
        "dimensions_mm": dims,
        "oil_capacity_l": oil_l,
        "warranty_months": 24,
    }
    if vsd:
        spec["turndown_pct"] = [30, 100]
    desc = (
        f"{kw} kW {kind_zh}喷油螺杆空压机，排气量 {fad} m³/min @ {bar} bar，"
        f"比功率 {sp} kW/(m³/min)，标配物联网网关，支持远程监测与预测性维护。"
    )
    return ProductSpec(
        code,
        name.replace("  ", " "),
        name_en,
        "screw_air_compressor",
        desc,
        kw,
        fad,
        bar,
        vsd,
        sp,
        D(price),
        D(cost),
        spec,
        bom,
    )


MAIN_PRODUCTS: tuple[ProductSpec, ...] = (
    _compressor("CF-37A", 37, 6.4, 7.5, False, 6.6, 96_000, 64_000, 980, 69, "1600×1000×1450", 18, "s"),
    _compressor("CF-55V", 55, 10.2, 7.5, True, 6.0, 158_000, 104_000, 1350, 70, "1850×1150×1600", 30, "m"),
    _compressor("CF-75A", 75, 13.4, 8.0, False, 6.4, 182_000, 121_000, 1720, 72, "2100×1250×1750", 30, "m"),
    _compressor("CF-90V", 90, 16.6, 8.0, True, 5.9, 268_000, 176_000, 2050, 72, "2300×1350×1850", 45, "m"),
    _compressor("CF-132V", 132, 25.8, 8.0, True, 5.6, 428_000, 279_000, 3400, 74, "3000×1700×1950", 45, "l"),
)


def _dryer(code: str, kind: str, flow: float, kw: float, price: int, cost: int) -> ProductSpec:
    refrigerated = kind == "refrigerated"
    name = f"{code} {'冷冻式' if refrigerated else '微热再生吸附式'}压缩空气干燥机"
    name_en = f"{code} {'refrigerated' if refrigerated else 'heated-purge desiccant'} compressed air dryer"
    c = D(cost)
    bom = (
        Part(
            f"HX-{code}",
            "板翅式换热器" if refrigerated else "双塔吸附筒",
            D(1),
            "pcs",
            (c * D("0.28")).quantize(D("1")),
        ),
        Part(
            f"CP-{code}", "制冷压缩机" if refrigerated else "再生加热器", D(1), "pcs", (c * D("0.22")).quantize(D("1"))
        ),
        Part(f"CT-{code}", "控制器（含远程通讯模块）", D(1), "pcs", D(1800)),
        Part("FL-P25", "精密过滤器滤芯", D(2), "pcs", D(320), True, "air_filter"),
        Part("DV-AUTO", "零气损自动排水器", D(1), "pcs", D(680), True, "oil_filter"),
        (
            Part("RF-R407C", "R407C 制冷剂", D(6), "kg", D(95), True, "oil")
            if refrigerated
            else Part("AD-AL", "活性氧化铝吸附剂", D(120), "kg", D(18), True, "oil")
        ),
        Part("FM-D", "冷凝风扇电机" if refrigerated else "切换阀组", D(1), "pcs", D(1450), True, "separator"),
        Part("EV-D", "电磁阀组件", D(1), "set", D(900), True, "bearings"),
    )
    spec = {
        "rated_flow_m3_min": flow,
        "rated_power_kw": kw,
        "pressure_dew_point_c": 3 if refrigerated else -40,
        "max_pressure_bar": 10,
        "type": kind,
    }
    desc = f"处理量 {flow} m³/min，{'压力露点 3 ℃' if refrigerated else '压力露点 -40 ℃'}，配远程通讯模块。"
    return ProductSpec(
        code, name, name_en, "compressed_air_dryer", desc, int(kw), flow, 10.0, False, 0.0, D(price), D(cost), spec, bom
    )


SME_PRODUCTS: tuple[ProductSpec, ...] = (
    _dryer("LQ-20F", "refrigerated", 20.0, 3.7, 32_000, 21_000),
    _dryer("LQ-12X", "desiccant", 12.0, 2.2, 58_000, 37_000),
)

# --------------------------------------------------------------------------- offerings

# SLA hours per priority: (response, resolution)
SLA_SALE = {"critical": (8, 48), "high": (24, 72), "medium": (48, 120), "low": (72, 240)}
SLA_CARE = {"critical": (4, 24), "high": (8, 48), "medium": (24, 72), "low": (48, 168)}
SLA_CAAS = {"critical": (2, 12), "high": (4, 24), "medium": (8, 48), "low": (24, 120)}


def _sla(
    table: dict[str, tuple[int, int]], availability: float | None = None, predictive_rul_hours: float | None = None
) -> dict:
    out: dict = {"per_priority": {p: {"response_hours": r, "resolution_hours": s} for p, (r, s) in table.items()}}
    if availability is not None:
        out["availability_target_pct"] = availability
    if predictive_rul_hours is not None:  # condition-based maintenance below this predicted RUL (3.6)
        out["predictive_rul_hours"] = predictive_rul_hours
    return out


MAIN_OFFERINGS: tuple[dict, ...] = (
    {
        "kind": "sale",
        "code": "OF-SALE-24",
        "name": "螺杆空压机销售（含 24 个月质保）",
        "name_en": "Screw compressor sale with 24-month warranty",
        "description": "一次性销售澄风 CF 系列螺杆空压机（参考机型 CF-75A，按机型报价），含安装调试、操作培训，"
        "质保期 24 个月内免费故障维修（不含易损件与定期保养）。",
        "product": "CF-75A",
        "price_model": "one_time_sale",
        "one_time_price": D("182000.00"),
        "sla": _sla(SLA_SALE),
        "service_items": [
            {"kind": "installation", "name": "安装调试", "name_en": "Installation and commissioning", "included": True},
            {"kind": "training", "name": "操作与保养培训", "name_en": "Operator training", "included": True},
            {"kind": "corrective_repair", "name": "质保期内故障维修", "name_en": "Warranty repairs", "included": True},
            {"kind": "remote_support", "name": "电话与远程技术支持", "name_en": "Remote support", "included": True},
            {"kind": "spare_parts", "name": "原厂备件供应", "name_en": "Genuine spare parts", "included": False},
        ],
    },
    {
        "kind": "care",
        "code": "OF-CARE-M",
        "name": "智能运维订阅：远程监测＋预防性维护",
        "name_en": "Smart care subscription: remote monitoring + preventive maintenance",
        "description": "按台按月订阅（月费以 55 kW 机型为基准，按额定功率的 0.75 次方折算）：7×24 远程监测与预警、"
        "每季度一次预防性维护（含滤芯、油品等保养耗材）、故障维修人工与备件全包、年度安全检查，按优先级承诺响应与修复时间。",
        "product": "CF-55V",
        "price_model": "subscription",
        "periodic_fee": D("1500.00"),
        "billing_period": "month",
        "sla": _sla(SLA_CARE, predictive_rul_hours=24),
        "service_items": [
            {
                "kind": "remote_monitoring",
                "name": "7×24 远程监测与预警",
                "name_en": "24/7 remote monitoring",
                "included": True,
            },
            {
                "kind": "preventive_maintenance",
                "name": "季度预防性维护",
                "name_en": "Quarterly preventive maintenance",
                "included": True,
            },
            {
                "kind": "predictive_maintenance",
                "name": "预测性维护（轴承、分离芯寿命预测）",
                "name_en": "Predictive maintenance",
                "included": True,
            },
            {"kind": "consumables", "name": "保养耗材", "name_en": "Maintenance consumables", "included": True},
            {
                "kind": "corrective_repair",
                "name": "故障维修（人工及备件）",
                "name_en": "Corrective repairs, parts and labour",
                "included": True,
            },
        ],
    },
    {
        "kind": "caas",
        "code": "OF-CAAS",
        "name": "压缩空气即服务（按方计费）",
        "name_en": "Compressed air as a service (pay per m³)",
        "description": "设备产权归澄风，客户按月支付基础服务费（以 55 kW 机型为基准按功率折算）并按实际用气量（m³，"
        "以出口流量计读数为准）付费；电费由客户承担。澄风负责安装、监测、全部维护与备件，承诺月度可用率 ≥ 98.5%，"
        "未达标按 SLA 返还基础服务费。",
        "product": "CF-90V",
        "price_model": "pay_per_use",
        "periodic_fee": D("2400.00"),
        "billing_period": "month",
        "usage_unit": "m3",
        "usage_unit_price": D("0.0180"),
        "sla": _sla(SLA_CAAS, 98.5, predictive_rul_hours=24),
        "service_items": [
            {"kind": "installation", "name": "设备投放与安装", "name_en": "Installation", "included": True},
            {
                "kind": "remote_monitoring",
                "name": "7×24 远程监测",
                "name_en": "24/7 remote monitoring",
                "included": True,
            },
            {
                "kind": "preventive_maintenance",
                "name": "预防性维护",
                "name_en": "Preventive maintenance",
                "included": True,
            },
            {
                "kind": "predictive_maintenance",
                "name": "预测性维护",
                "name_en": "Predictive maintenance",
                "included": True,
            },
            {
                "kind": "corrective_repair",
                "name": "故障维修（人工及备件）",
                "name_en": "Corrective repairs",
                "included": True,
            },
            {"kind": "energy_audit", "name": "年度能效评估", "name_en": "Annual energy audit", "included": True},
            {
                "kind": "recycling",
                "name": "合同期满回收再制造",
                "name_en": "Take-back and remanufacturing",
                "included": True,
            },
        ],
    },
)

SME_OFFERINGS: tuple[dict, ...] = (
    {
        "kind": "sale",
        "code": "LQ-SALE-12",
        "name": "干燥机销售（含 12 个月质保）",
        "name_en": "Dryer sale with 12-month warranty",
        "description": "一次性销售，含安装调试，质保 12 个月。",
        "product": "LQ-20F",
        "price_model": "one_time_sale",
        "one_time_price": D("32000.00"),
        "sla": _sla({"critical": (24, 96), "high": (48, 120), "medium": (72, 168), "low": (96, 336)}),
        "service_items": [
            {"kind": "installation", "name": "安装调试", "included": True},
            {"kind": "corrective_repair", "name": "质保期内故障维修", "included": True},
        ],
    },
    {
        "kind": "care",
        "code": "LQ-CARE-Y",
        "name": "干燥机维保订阅",
        "name_en": "Dryer care subscription",
        "description": "按台按月订阅：半年一次保养、故障维修、远程报警。",
        "product": "LQ-20F",
        "price_model": "subscription",
        "periodic_fee": D("380.00"),
        "billing_period": "month",
        "sla": _sla({"critical": (8, 48), "high": (24, 72), "medium": (48, 120), "low": (72, 240)}),
        "service_items": [
            {"kind": "preventive_maintenance", "name": "半年度保养", "included": True},
            {"kind": "corrective_repair", "name": "故障维修", "included": True},
            {"kind": "remote_monitoring", "name": "远程报警", "included": True},
        ],
    },
)

# --------------------------------------------------------------------------- customers

# (short name, full name, English name, web slug, GB/T 4754 class, GB/T 2260 prefecture, shifts per day)
MAIN_CUSTOMERS: tuple[tuple[str, str, str, str, str, str, int], ...] = (
    (
        "瑞丰精密",
        "苏州瑞丰精密汽车零部件有限公司",
        "Suzhou Ruifeng Precision Auto Parts Co., Ltd.",
        "ruifeng-auto",
        "C3670",
        "320500",
        3,
    ),
    ("华立电路", "昆山华立电子电路有限公司", "Kunshan Huali Circuit Co., Ltd.", "huali-pcb", "C3982", "320500", 3),
    (
        "恒达印染",
        "吴江恒达纺织印染有限公司",
        "Wujiang Hengda Textile Dyeing Co., Ltd.",
        "hengda-dyeing",
        "C1713",
        "320500",
        3,
    ),
    (
        "永盛钢管",
        "张家港永盛精密钢管有限公司",
        "Zhangjiagang Yongsheng Steel Tube Co., Ltd.",
        "yongsheng-tube",
        "C3130",
        "320500",
        2,
    ),
    (
        "新宇精工",
        "无锡新宇精工机械有限公司",
        "Wuxi Xinyu Precision Machinery Co., Ltd.",
        "xinyu-mach",
        "C3484",
        "320200",
        2,
    ),
    (
        "华盛塑业",
        "江阴华盛塑业有限公司",
        "Jiangyin Huasheng Plastics Co., Ltd.",
        "huasheng-plastics",
        "C2922",
        "320200",
        3,
    ),
    (
        "天合包装",
        "常州天合包装材料有限公司",
        "Changzhou Tianhe Packaging Co., Ltd.",
        "tianhe-pack",
        "C2231",
        "320400",
        2,
    ),
    (
        "博远电器",
        "常州博远电器有限公司",
        "Changzhou Boyuan Electric Co., Ltd.",
        "boyuan-electric",
        "C3821",
        "320400",
        2,
    ),
    (
        "康德药业",
        "南京康德药业有限公司",
        "Nanjing Kangde Pharmaceutical Co., Ltd.",
        "kangde-pharma",
        "C2710",
        "320100",
        3,
    ),
    ("海恒化工", "南通海恒化工有限公司", "Nantong Haiheng Chemical Co., Ltd.", "haiheng-chem", "C2614", "320600", 3),
    (
        "振华钢构",
        "南通振华钢结构有限公司",
        "Nantong Zhenhua Steel Structure Co., Ltd.",
        "zhenhua-steel",
        "C3311",
        "320600",
        1,
    ),
    (
        "瑞思表面",
        "扬州瑞思表面处理有限公司",
        "Yangzhou Ruisi Surface Treatment Co., Ltd.",
        "ruisi-surface",
        "C3360",
        "321000",
        2,
    ),
    ("宏大电缆", "泰州宏大电线电缆有限公司", "Taizhou Hongda Cable Co., Ltd.", "hongda-cable", "C3831", "321200", 2),
    (
        "东晟饰件",
        "盐城东晟汽车饰件有限公司",
        "Yancheng Dongsheng Auto Trim Co., Ltd.",
        "dongsheng-trim",
        "C3670",
        "320900",
        2,
    ),
    (
        "恒锐机械",
        "徐州恒锐工程机械配件有限公司",
        "Xuzhou Hengrui Construction Machinery Parts Co., Ltd.",
        "hengrui-parts",
        "C3484",
        "320300",
        2,
    ),
    (
        "金鼎玻璃",
        "镇江金鼎光学玻璃有限公司",
        "Zhenjiang Jinding Optical Glass Co., Ltd.",
        "jinding-glass",
        "C3052",
        "321100",
        3,
    ),
    (
        "新禾食品",
        "杭州新禾食品配料有限公司",
        "Hangzhou Xinhe Food Ingredients Co., Ltd.",
        "xinhe-food",
        "C1495",
        "330100",
        2,
    ),
    (
        "东钱注塑",
        "宁波东钱注塑科技有限公司",
        "Ningbo Dongqian Injection Moulding Co., Ltd.",
        "dongqian-mould",
        "C2929",
        "330200",
        3,
    ),
    (
        "港城电缆",
        "宁波港城电线电缆有限公司",
        "Ningbo Gangcheng Cable Co., Ltd.",
        "gangcheng-cable",
        "C3831",
        "330200",
        2,
    ),
    (
        "秀洲纺织",
        "嘉兴秀洲针织科技有限公司",
        "Jiaxing Xiuzhou Knitting Technology Co., Ltd.",
        "xiuzhou-knit",
        "C1761",
        "330400",
        3,
    ),
    ("锦华印染", "绍兴锦华印染有限公司", "Shaoxing Jinhua Dyeing Co., Ltd.", "jinhua-dyeing", "C1713", "330600", 3),
    ("瓯江阀门", "温州瓯江阀门有限公司", "Wenzhou Oujiang Valve Co., Ltd.", "oujiang-valve", "C3443", "330300", 1),
    (
        "德清家具",
        "湖州德清木业家具有限公司",
        "Huzhou Deqing Furniture Co., Ltd.",
        "deqing-furniture",
        "C2110",
        "330500",
        1,
    ),
    (
        "黄岩汽配",
        "台州黄岩汽车零部件有限公司",
        "Taizhou Huangyan Auto Parts Co., Ltd.",
        "huangyan-auto",
        "C3670",
        "331000",
        2,
    ),
    ("永康五金", "金华永康五金制品有限公司", "Jinhua Yongkang Hardware Co., Ltd.", "yongkang-hw", "C3351", "330700", 1),
    (
        "智晟电池",
        "合肥智晟新能源电池有限公司",
        "Hefei Zhisheng New Energy Battery Co., Ltd.",
        "zhisheng-battery",
        "C3841",
        "340100",
        3,
    ),
    (
        "江城汽配",
        "芜湖江城汽车零部件有限公司",
        "Wuhu Jiangcheng Auto Parts Co., Ltd.",
        "jiangcheng-auto",
        "C3670",
        "340200",
        2,
    ),
    (
        "金诺配件",
        "滁州金诺家电配件有限公司",
        "Chuzhou Jinnuo Appliance Parts Co., Ltd.",
        "jinnuo-parts",
        "C3857",
        "341100",
        2,
    ),
    (
        "海晨橡胶",
        "青岛海晨橡胶轮胎有限公司",
        "Qingdao Haichen Rubber Tyre Co., Ltd.",
        "haichen-tyre",
        "C2911",
        "370200",
        3,
    ),
    ("鲁泉啤酒", "济南鲁泉啤酒有限公司", "Jinan Luquan Brewery Co., Ltd.", "luquan-beer", "C1513", "370100", 2),
    ("蓝海食品", "烟台蓝海果蔬食品有限公司", "Yantai Lanhai Food Co., Ltd.", "lanhai-food", "C1371", "370600", 2),
    (
        "宏利五金",
        "东莞宏利五金塑胶制品有限公司",
        "Dongguan Hongli Hardware & Plastics Co., Ltd.",
        "hongli-hw",
        "C3399",
        "441900",
        2,
    ),
    (
        "美达配件",
        "佛山美达家用电器配件有限公司",
        "Foshan Meida Appliance Parts Co., Ltd.",
        "meida-parts",
        "C3857",
        "440600",
        2,
    ),
    (
        "嘉信电子",
        "深圳嘉信电子元件有限公司",
        "Shenzhen Jiaxin Electronic Components Co., Ltd.",
        "jiaxin-elec",
        "C3989",
        "440300",
        3,
    ),
    (
        "番禺树脂",
        "广州番禺合成树脂有限公司",
        "Guangzhou Panyu Synthetic Resin Co., Ltd.",
        "panyu-resin",
        "C2651",
        "440100",
        3,
    ),
    (
        "东湖光电",
        "武汉东湖光电器件有限公司",
        "Wuhan Donghu Optoelectronics Co., Ltd.",
        "donghu-opto",
        "C3976",
        "420100",
        3,
    ),
    (
        "豫丰铝业",
        "郑州豫丰铝型材有限公司",
        "Zhengzhou Yufeng Aluminium Profile Co., Ltd.",
        "yufeng-alu",
        "C3252",
        "410100",
        2,
    ),
    ("嘉禾电子", "厦门嘉禾电子科技有限公司", "Xiamen Jiahe Electronics Co., Ltd.", "jiahe-elec", "C3982", "350200", 3),
    (
        "冀中制药",
        "石家庄冀中制药有限公司",
        "Shijiazhuang Jizhong Pharmaceutical Co., Ltd.",
        "jizhong-pharma",
        "C2720",
        "130100",
        3,
    ),
    (
        "天府玻纤",
        "成都天府玻璃纤维有限公司",
        "Chengdu Tianfu Glass Fibre Co., Ltd.",
        "tianfu-fibre",
        "C3061",
        "510100",
        3,
    ),
)

SME_CUSTOMERS: tuple[tuple[str, str, str, str, str, str, int], ...] = (
    (
        "锡山机电",
        "无锡锡山机电设备有限公司",
        "Wuxi Xishan Electromechanical Co., Ltd.",
        "xishan-me",
        "C3484",
        "320200",
        2,
    ),
    (
        "武进纺机",
        "常州武进纺织机械有限公司",
        "Changzhou Wujin Textile Machinery Co., Ltd.",
        "wujin-tm",
        "C3551",
        "320400",
        2,
    ),
    ("宜兴陶瓷", "宜兴青瓷新材料有限公司", "Yixing Qingci New Materials Co., Ltd.", "qingci-mat", "C3073", "320200", 3),
)

# --------------------------------------------------------------------------- people and places

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN_NAMES = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "磊",
    "强",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "涛",
    "明",
    "超",
    "秀英",
    "建华",
    "志强",
    "海燕",
    "晓东",
    "丽娟",
    "国庆",
    "建军",
    "文博",
    "子涵",
    "一鸣",
    "雪梅",
    "春生",
)
ZONES = ("经济技术开发区", "高新技术产业开发区", "工业园区", "临港产业园", "先进制造业园区")
ROADS = (
    "创业路",
    "兴业路",
    "长江路",
    "科技大道",
    "工业一路",
    "新华路",
    "富民路",
    "民营路",
    "发展大道",
    "金山路",
    "通达路",
    "振兴路",
    "华山路",
    "明珠路",
    "太湖大道",
    "滨江路",
)
SITE_LABELS = ("一厂", "二厂", "总装车间", "新厂区")

# --------------------------------------------------------------------------- service work

# Corrective failure modes: (title, fix, repair hours, parts: list of (bom role, quantity) and/or
# ("fixed", low, high) for a part priced separately, waits for parts probability, VSD only)
FAILURE_MODES: tuple[dict, ...] = (
    {
        "title": "排气温度过高停机",
        "fix": "冷却器翅片脏堵，清洗冷却器、更换机油及机油滤芯，试机排温恢复至 85 ℃ 以下",
        "hours": (3.0, 5.0),
        "parts": [("oil", 1), ("oil_filter", 1)],
        "wait": 0.0,
        "weight": 5,
    },
    {
        "title": "主机异响、振动超标",
        "fix": "主机轴承磨损，更换主机轴承组件并重新对中，振动值恢复正常",
        "hours": (8.0, 12.0),
        "parts": [("bearings", 1), ("oil", 1), ("oil_filter", 1)],
        "wait": 0.6,
        "weight": 2,
    },
    {
        "title": "油气分离芯压差高、耗油量大",
        "fix": "更换油气分离芯及回油管单向阀密封，耗油量恢复正常",
        "hours": (2.5, 4.0),
        "parts": [("separator", 1), ("fixed", 80, 160)],
        "wait": 0.0,
        "weight": 4,
    },
    {
        "title": "进气阀卡滞，无法加载",
        "fix": "拆检进气阀，更换阀片、弹簧及密封件，加卸载动作正常",
        "hours": (2.5, 4.0),
        "parts": [("fixed", 900, 1400)],
        "wait": 0.1,
        "weight": 4,
    },
    {
        "title": "电机过载跳闸",
        "fix": "检查电机绕组绝缘正常，更换老化接触器并紧固接线端子",
        "hours": (2.0, 3.5),
        "parts": [("fixed", 650, 1200)],
        "wait": 0.0,
        "weight": 3,
    },
    {
        "title": "变频器报过流故障",
        "fix": "更换变频器驱动板并重新整定参数，带载试机正常",
        "hours": (4.0, 6.0),
        "parts": [("fixed", 3800, 7500)],
        "wait": 0.5,
        "weight": 2,
        "vsd_only": True,
    },
    {
        "title": "压力传感器故障，压力显示异常",
        "fix": "更换压力传感器并校准控制器压力设定",
        "hours": (1.5, 2.5),
        "parts": [("fixed", 420, 560)],
        "wait": 0.0,
        "weight": 3,
    },
    {
        "title": "冷却风扇电机损坏",
        "fix": "更换冷却风扇电机及风扇轴承，排温恢复正常",
        "hours": (2.5, 4.0),
        "parts": [("fixed", 1200, 2600)],
        "wait": 0.3,
        "weight": 2,
    },
)

DRYER_FAILURE_MODES: tuple[dict, ...] = (
    {
        "title": "露点偏高报警",
        "fix": "冷凝器脏堵，清洗冷凝器并补充制冷剂",
        "hours": (2.0, 3.5),
        "parts": [("oil", 1)],
        "wait": 0.0,
        "weight": 3,
    },
    {
        "title": "自动排水器不排水",
        "fix": "更换零气损自动排水器",
        "hours": (1.0, 2.0),
        "parts": [("oil_filter", 1)],
        "wait": 0.0,
        "weight": 3,
    },
    {
        "title": "电磁阀故障，切换异常",
        "fix": "更换电磁阀组件并检查控制回路",
        "hours": (2.0, 3.0),
        "parts": [("bearings", 1)],
        "wait": 0.2,
        "weight": 2,
    },
)

# Predictive findings from remote monitoring: (title, fix, hours, parts)
PREDICTIVE_MODES: tuple[dict, ...] = (
    {
        "title": "振动趋势上升：主机轴承剩余寿命预测不足 30 天",
        "fix": "计划停机更换主机轴承组件，避免非计划停机",
        "hours": (8.0, 11.0),
        "parts": [("bearings", 1), ("oil", 1), ("oil_filter", 1)],
        "weight": 2,
    },
    {
        "title": "油气分离芯压差持续上升",
        "fix": "提前更换油气分离芯",
        "hours": (2.5, 3.5),
        "parts": [("separator", 1)],
        "weight": 3,
    },
    {
        "title": "排气温度趋势偏高：冷却器换热效率下降",
        "fix": "清洗冷却器、更换机油，排温回落",
        "hours": (3.0, 4.5),
        "parts": [("oil", 1)],
        "weight": 3,
    },
    {
        "title": "比功率较基线上升 8%：进气阻力增大",
        "fix": "更换空气滤芯，检查进气阀开度，比功率恢复基线",
        "hours": (1.5, 2.5),
        "parts": [("air_filter", 1)],
        "weight": 2,
    },
)

UPGRADES: tuple[dict, ...] = (
    {
        "title": "升级改造：加装余热回收装置",
        "fix": "加装板式余热回收换热器，回收热量用于工艺热水，试运行正常",
        "hours": (12.0, 16.0),
        "parts": (16000, 32000),
        "fixed_speed_only": False,
    },
    {
        "title": "升级改造：控制器升级为物联网智能控制器",
        "fix": "更换智能控制器并接入远程监测平台",
        "hours": (3.0, 5.0),
        "parts": (3200, 4200),
        "fixed_speed_only": False,
    },
    {
        "title": "升级改造：工频机改永磁变频",
        "fix": "加装永磁同步电机与专用变频器，恒压供气，实测节能 18%",
        "hours": (14.0, 18.0),
        "parts": (26000, 42000),
        "fixed_speed_only": True,
    },
)

RETIRE_REASONS = (
    "设备运行超过经济寿命，客户以旧换新",
    "客户产线搬迁，旧机报废",
    "主机磨损严重，大修不经济，办理退役",
)

# Staff rates (CNY): internal cost per engineer hour, and the time-and-material price per hour.
LABOUR_COST_PER_HOUR = D("195")
LABOUR_PRICE_PER_HOUR = D("380")
