"""Demo data for the sample center: a user per agent and supervisor, an admin per tenant, a few
customers with history fields, and a talk script for the general queue.

User names are the agent ids (``op01``, ``sv01``…) and ``admin-<tenant>``; they all share the
demo password (``Settings.demo_password``, ``madoguchi-demo`` unless changed). Seeding is
idempotent: existing users, customers and scripts are left alone. Not for production: the
demo password is public.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from madoguchi.api.security import hash_password
from madoguchi.core.config import CenterConfig
from madoguchi.store.crm import Customer, TalkScript, User

DEMO_CUSTOMERS: tuple[dict[str, Any], ...] = (
    {
        "customer_number": "M0001",
        "name": "山田 花子",
        "name_kana": "ヤマダ ハナコ",
        "phone": "+819012345678",
        "email": "hanako@example.jp",
        "address": "東京都千代田区1-1",
        "fields": {
            "会員ランク": "ゴールド",
            "最終注文": "2026-11-02 電気ケトル",
            "累計購入額": 48200,
        },
    },
    {
        "customer_number": "M0002",
        "name": "John Smith",
        "name_kana": "ジョン スミス",
        "phone": "+81312345678",
        "email": "john@example.com",
        "address": "大阪府大阪市北区2-2",
        "language": "en",
        "fields": {"会員ランク": "一般", "最終注文": "2026-10-15 加湿器"},
    },
    {
        "customer_number": "M0003",
        "name": "佐藤 一郎",
        "name_kana": "サトウ イチロウ",
        "phone": "+819011112222",
        "address": "神奈川県横浜市3-3",
        "fields": {"会員ランク": "一般", "未入金": "あり"},
    },
)

GENERAL_SCRIPT: list[dict[str, Any]] = [
    {
        "id": "greet",
        "say_ja": "お電話ありがとうございます。みどり通販、担当の{name}でございます。",
        "say_en": "Thank you for calling Midori Tsuhan, this is {name} speaking.",
        "branches": [
            {
                "when_ja": "注文について",
                "when_en": "About an order",
                "next": "verify",
                "answer_ja": "ご注文の確認ですね。",
                "answer_en": "You'd like to check an order.",
            },
            {
                "when_ja": "苦情・返品",
                "when_en": "Complaint or return",
                "escalate": True,
                "answer_ja": "担当部署へおつなぎいたします。",
                "answer_en": "Let me connect you.",
            },
        ],
    },
    {
        "id": "verify",
        "say_ja": "ご本人確認のため、お名前とお電話番号をお願いいたします。",
        "say_en": "To confirm who you are, may I have your name and phone number?",
        "branches": [
            {"when_ja": "確認できた", "when_en": "Verified", "next": "solve"},
            {"when_ja": "確認できない", "when_en": "Cannot verify", "escalate": True},
        ],
    },
    {
        "id": "solve",
        "say_ja": "ご用件を承ります。結論からお伝えいたします。",
        "say_en": "How can I help? I'll give you the answer first.",
        "branches": [],
    },
]


def seed_sample_users(
    db: Session,
    config: CenterConfig,
    password: str,
    now: float,
    hasher: PasswordHasher | None = None,
) -> int:
    """Create the demo users that are missing; how many were created.

    ``hasher`` defaults to argon2id with the library's defaults; tests pass cheaper parameters
    (verification reads the parameters from the stored hash).
    """
    supervisors = {team.supervisor for team in config.teams if team.supervisor}
    stamp = datetime.fromtimestamp(now, UTC)
    existing = set(db.scalars(select(User.username)))
    password_hash = hasher.hash(password) if hasher is not None else hash_password(password)
    wanted: list[User] = []
    for agent in config.agents:
        role = "supervisor" if agent.id in supervisors else "agent"
        wanted.append(
            User(
                username=agent.id,
                tenant=agent.tenant,
                role=role,
                display_name=agent.name,
                agent_id=agent.id,
                password_hash=password_hash,
                created_at=stamp,
            )
        )
    for tenant in config.tenants:
        wanted.append(
            User(
                username=f"admin-{tenant.id}",
                tenant=tenant.id,
                role="admin",
                display_name=f"{tenant.name.get('ja')} 管理者",
                password_hash=password_hash,
                created_at=stamp,
            )
        )
    created = [user for user in wanted if user.username not in existing]
    db.add_all(created)
    db.commit()
    return len(created)


def seed_sample_customers(db: Session, tenant: str, now: float) -> int:
    """Create the demo customers and the general queue's talk script; how many customers."""
    stamp = datetime.fromtimestamp(now, UTC)
    existing = set(db.scalars(select(Customer.customer_number).where(Customer.tenant == tenant)))
    created = [
        Customer(tenant=tenant, created_at=stamp, updated_at=stamp, **{"language": "ja", **row})
        for row in DEMO_CUSTOMERS
        if row["customer_number"] not in existing
    ]
    db.add_all(created)
    if (
        db.scalar(
            select(TalkScript).where(TalkScript.tenant == tenant, TalkScript.queue_id == "general")
        )
        is None
    ):
        db.add(
            TalkScript(tenant=tenant, queue_id="general", steps=GENERAL_SCRIPT, updated_at=stamp)
        )
    db.commit()
    return len(created)
