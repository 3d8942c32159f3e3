"""The demo portal's companies and staff, and the latent quality of each company's shop."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

import numpy as np
from faker import Faker

from etl.demo import catalog

SALES_REPS = 10
AFTER_SALES_STAFF = 5


@dataclass(frozen=True)
class Staff:
    staff_id: int
    name: str
    department: str
    mobile: str


@dataclass
class Company:
    """A registered company with its contact details and the staff who look after it."""

    company_id: int
    name: str
    slug: str
    segment: int
    province: str
    city: str
    size: str
    registered_at: dt.datetime
    sales_rep_id: int | None
    after_sales_id: int | None
    contact_name: str
    mobile: str
    telephone: str
    address: str


def make_staff(fake: Faker) -> tuple[list[Staff], list[Staff]]:
    """Create the sales reps and the after-sales staff, with unique names."""
    names: list[str] = []
    while len(names) < SALES_REPS + AFTER_SALES_STAFF:
        name = fake.name()
        # The call-count sheet is saved in GBK, which lacks some rare characters.
        if name not in names and _encodes_in_gbk(name):
            names.append(name)

    staff = [
        Staff(
            staff_id=101 + index,
            name=name,
            department="销售部" if index < SALES_REPS else "客服部",
            mobile=fake.phone_number(),
        )
        for index, name in enumerate(names)
    ]
    return staff[:SALES_REPS], staff[SALES_REPS:]


def _encodes_in_gbk(text: str) -> bool:
    try:
        text.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True


def pick_segments(count: int, rng: random.Random) -> list[int]:
    """Draw segment indexes by weight; the first len(SEGMENTS) companies get one each."""
    weights = [segment.weight for segment in catalog.SEGMENTS]
    drawn = rng.choices(range(len(catalog.SEGMENTS)), weights=weights, k=count)
    for index in range(min(count, len(catalog.SEGMENTS))):
        drawn[index] = index
    return drawn


def draw_qualities(count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Return each company's traffic quality and its inquiry conversion, both around 1.

    One company in twelve is a dead shop with almost no traffic: the underperformers that the
    health score should find.
    """
    quality = rng.lognormal(mean=-0.1, sigma=0.75, size=count)
    dead = rng.random(count) < 1 / 12
    quality[dead] *= 0.05
    conversion = rng.lognormal(mean=0.0, sigma=0.4, size=count)
    return quality, conversion


def make_company(
    index: int,
    segment: int,
    registered_at: dt.datetime,
    taken_slugs: set[str],
    fake: Faker,
    rng: random.Random,
) -> Company:
    """Create one company with a fake name, a unique pinyin slug and contact details.

    `company_id` is a placeholder until the companies are numbered in registration order.
    """
    province, city = _pick_place(rng)
    first, second = rng.sample(catalog.BRAND_SYLLABLES, 2)
    trade_name, trade_pinyin = rng.choice(catalog.TRADE_WORDS)
    name = f"{city}{first[0]}{second[0]}{trade_name}{rng.choice(catalog.COMPANY_SUFFIXES)}"
    slug = _unique_slug(f"{first[1]}{second[1]}{trade_pinyin}", taken_slugs, rng)
    sizes, size_weights = zip(*catalog.COMPANY_SIZES, strict=True)

    return Company(
        company_id=index,
        name=name,
        slug=slug,
        segment=segment,
        province=province,
        city=city,
        size=rng.choices(sizes, weights=size_weights)[0],
        registered_at=registered_at,
        sales_rep_id=None,
        after_sales_id=None,
        contact_name=fake.name(),
        mobile=fake.phone_number(),
        telephone=f"{catalog.AREA_CODES[city]}-{rng.randint(5000000, 89999999)}",
        address=f"{province}{city}市{fake.street_address()}",
    )


def _pick_place(rng: random.Random) -> tuple[str, str]:
    weights = [weight for _, weight, _ in catalog.PROVINCES]
    province, _, cities = rng.choices(catalog.PROVINCES, weights=weights)[0]
    return province, rng.choice(cities)


def _unique_slug(base: str, taken: set[str], rng: random.Random) -> str:
    slug = base
    while slug in taken:
        slug = f"{base}{rng.randint(2, 999)}"
    taken.add(slug)
    return slug


def assign_staff(
    companies: list[Company],
    paying: set[int],
    reps: list[Staff],
    after_sales: list[Staff],
    rng: random.Random,
) -> None:
    """Give paying companies a rep and an after-sales owner; one free company in five has no rep.

    `paying` contains positions in `companies`.
    """
    rep_weights = [1.0 + 0.15 * index for index in range(len(reps))]
    for position, company in enumerate(companies):
        if position in paying or rng.random() < 0.8:
            company.sales_rep_id = rng.choices(reps, weights=rep_weights)[0].staff_id
        if position in paying:
            company.after_sales_id = rng.choice(after_sales).staff_id
