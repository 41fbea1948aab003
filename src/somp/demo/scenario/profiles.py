"""Tenant profiles: the knobs that make the manufacturer and the SME tenant differ.

A :class:`Profile` fixes a tenant's reference data (:mod:`somp.demo.reference`), its size at a
given ``scale``, its product mix, warranty and maintenance intervals, failure behaviour and staff;
:data:`PLATFORM_USERS` are the two tenant-less logins (platform administrator, evaluator).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from somp.demo import reference as ref
from somp.demo.reference import ProductSpec


@dataclass(frozen=True)
class StaffPlan:
    username: str
    display_name: str
    roles: tuple[str, ...]
    password: str
    hint: str
    hint_en: str
    email: str | None = None


@dataclass(frozen=True)
class Profile:
    tenant: dict[str, Any]
    products: tuple[ProductSpec, ...]
    product_weights: tuple[float, ...]
    caas_product_weights: tuple[float, ...]
    offerings: tuple[dict[str, Any], ...]
    customers: tuple[tuple[str, str, str, str, str, str, int], ...]
    n_customers: int
    n_assets: int
    window_share: float  # share of the assets sold after go-live
    history_years: int
    warranty_months: int
    pm_months: int
    failure_modes: tuple[dict[str, Any], ...]
    failure_rate: float  # per asset-year
    predictive: bool
    staff: tuple[StaffPlan, ...]
    engineers: tuple[str, ...]
    customer_user: StaffPlan | None
    final_episodes: dict[str, int]
    install_fee: dict[int, int]
    upgrade_rate: float
    parts_orders: bool


def main_profile(scale: float) -> Profile:
    n_cust = max(3, min(len(ref.MAIN_CUSTOMERS), round(40 * scale)))  # 40 named customers at most
    n_assets = max(2 * n_cust, round(300 * scale))
    finals = {"failed": 4, "under_maintenance": 5, "degraded": 7, "upgraded": 6}
    return Profile(
        tenant=ref.MAIN_TENANT,
        products=ref.MAIN_PRODUCTS,
        product_weights=(0.20, 0.27, 0.21, 0.20, 0.12),
        caas_product_weights=(0.0, 0.34, 0.0, 0.40, 0.26),
        offerings=ref.MAIN_OFFERINGS,
        customers=ref.MAIN_CUSTOMERS[:n_cust],
        n_customers=n_cust,
        n_assets=n_assets,
        window_share=0.40,
        history_years=5,
        warranty_months=24,
        pm_months=3,
        failure_modes=ref.FAILURE_MODES,
        failure_rate=0.6,
        predictive=True,
        staff=(
            StaffPlan(
                "chengfeng.admin",
                "孙立新（系统管理员）",
                ("tenant_admin",),
                "demo-tenant-01",
                "租户设置、用户与角色、全部业务数据",
                "tenant settings, users and roles, all business data",
                "it@chengfeng-air.com.cn",
            ),
            StaffPlan(
                "wang.fang",
                "王芳（服务经理）",
                ("service_manager",),
                "demo-service-01",
                "产品与服务方案、合同、资产全生命周期、工单与 SLA、开票、品牌指标（服务收入占比、复购率、服务利润率）",
                "offerings, contracts, installed base and lifecycle, work orders and SLA, invoices, brand KPIs",
                "wang.fang@chengfeng-air.com.cn",
            ),
            StaffPlan(
                "li.qiang",
                "李强（现场工程师·苏锡常）",
                ("engineer",),
                "demo-engineer-01",
                "派给自己的工单、设备状态流转、维修记录",
                "own dispatched work orders, asset transitions, repair records",
                "li.qiang@chengfeng-air.com.cn",
            ),
            StaffPlan(
                "zhao.lei",
                "赵磊（现场工程师·江北及北方）",
                ("engineer",),
                "demo-engineer-01",
                "派给自己的工单（江北、安徽、山东、河南、河北）",
                "own work orders (north of the Yangtze and northern provinces)",
                "zhao.lei@chengfeng-air.com.cn",
            ),
            StaffPlan(
                "chen.jie",
                "陈杰（现场工程师·浙江及华南西南）",
                ("engineer",),
                "demo-engineer-01",
                "派给自己的工单（浙江、福建、广东、湖北、四川）",
                "own work orders (Zhejiang, the south and the west)",
                "chen.jie@chengfeng-air.com.cn",
            ),
        ),
        engineers=("li.qiang", "zhao.lei", "chen.jie"),
        customer_user=StaffPlan(
            "ruifeng.zhou",
            "周敏（瑞丰精密 设备科）",
            ("customer_user",),
            "demo-customer-01",
            "只看到本公司的设备、合同、工单、发票与 SLA",
            "only its own company's assets, contracts, work orders, invoices",
        ),
        final_episodes={k: max(1, round(v * scale)) if scale >= 0.1 else 0 for k, v in finals.items()},
        install_fee={37: 3500, 55: 4500, 75: 5000, 90: 6000, 132: 8500},
        upgrade_rate=0.10,
        parts_orders=True,
    )


def sme_profile() -> Profile:
    return Profile(
        tenant=ref.SME_TENANT,
        products=ref.SME_PRODUCTS,
        product_weights=(0.6, 0.4),
        caas_product_weights=(0.5, 0.5),
        offerings=ref.SME_OFFERINGS,
        customers=ref.SME_CUSTOMERS,
        n_customers=3,
        n_assets=8,
        window_share=0.5,
        history_years=3,
        warranty_months=12,
        pm_months=6,
        failure_modes=ref.DRYER_FAILURE_MODES,
        failure_rate=0.35,
        predictive=False,
        staff=(
            StaffPlan(
                "lanqing.admin",
                "钱晓东（澜清 总经理）",
                ("tenant_admin", "service_manager"),
                "demo-sme-01",
                "另一家中小企业租户：只看到自己的干燥机与客户，看不到澄风的任何数据",
                "a second (SME) tenant: sees its own dryers and customers, nothing of Chengfeng",
                "qian@lanqing-dryer.com.cn",
            ),
        ),
        engineers=("lanqing.admin",),
        customer_user=None,
        final_episodes={},
        install_fee={3: 1200, 2: 1500},
        upgrade_rate=0.0,
        parts_orders=False,
    )


PLATFORM_USERS = (
    StaffPlan(
        "admin",
        "平台管理员",
        ("platform_admin",),
        "demo-admin-01",
        "平台视图：租户与用户管理（不含租户业务数据）",
        "platform view: tenants and users (no tenant business data)",
    ),
    StaffPlan(
        "evaluator",
        "江苏省服务型制造促进中心 评估员",
        ("evaluator",),
        "demo-eval-01",
        "评估视图：各企业由平台数据计算的品牌指标，不能查看任何业务明细",
        "evaluation view: each enterprise's brand KPIs measured from platform data, no business detail",
    ),
)
