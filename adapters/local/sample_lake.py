"""Deterministic sample lake: a retailer's sales and support data as Parquet in Athena layout.

Layout: ``<lake>/<database>/<table>/[month=YYYY-MM/]*.parquet``. The same seed and scale give the
same data. Scale 1 is about 150k orders, 400k order lines, 20k customers and 30k tickets;
products (300) and stores (40) do not scale.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

START = np.datetime64("2023-01-01")
END = np.datetime64("2025-12-31")

REGIONS: dict[str, list[str]] = {
    "EMEA": ["Germany", "France", "United Kingdom", "Spain", "Italy", "Netherlands", "Sweden"],
    "AMER": ["United States", "Canada", "Brazil", "Mexico"],
    "APAC": ["Japan", "Australia", "India", "Singapore"],
}
COUNTRY_WEIGHT = {
    "Germany": 9, "France": 7, "United Kingdom": 8, "Spain": 4, "Italy": 4, "Netherlands": 3,
    "Sweden": 2, "United States": 22, "Canada": 5, "Brazil": 4, "Mexico": 3, "Japan": 7,
    "Australia": 5, "India": 4, "Singapore": 3,
}
CITIES = {
    "Germany": ["Berlin", "Munich", "Hamburg"], "France": ["Paris", "Lyon"],
    "United Kingdom": ["London", "Manchester", "Edinburgh"], "Spain": ["Madrid", "Barcelona"],
    "Italy": ["Milan", "Rome"], "Netherlands": ["Amsterdam"], "Sweden": ["Stockholm"],
    "United States": ["New York", "Chicago", "Seattle", "Austin", "Boston", "Denver", "Miami"],
    "Canada": ["Toronto", "Vancouver"], "Brazil": ["Sao Paulo", "Rio de Janeiro"],
    "Mexico": ["Mexico City"], "Japan": ["Tokyo", "Osaka"], "Australia": ["Sydney", "Melbourne"],
    "India": ["Mumbai", "Bangalore"], "Singapore": ["Singapore"],
}
STORE_SUFFIXES = ["Central", "Flagship", "Mall", "Outlet", "Downtown", "Station"]

CATALOG: dict[str, dict] = {
    "Electronics": {
        "subcategories": {"Phones": (199, 1299), "Laptops": (499, 2499), "Audio": (29, 399),
                          "Cameras": (149, 1899), "Accessories": (9, 99)},
        "brands": ["Nova", "Voltix", "Auralis", "Pixelon", "Zentro"], "share": 14,
    },
    "Home & Kitchen": {
        "subcategories": {"Cookware": (15, 249), "Furniture": (79, 999), "Appliances": (39, 699),
                          "Decor": (9, 149)},
        "brands": ["Hearth & Co", "Casaluna", "Brightway"], "share": 10,
    },
    "Apparel": {
        "subcategories": {"Men": (12, 180), "Women": (12, 220), "Kids": (8, 90),
                          "Shoes": (35, 240)},
        "brands": ["Northpeak", "Urbanthread", "Lumo"], "share": 12,
    },
    "Sports": {
        "subcategories": {"Fitness": (10, 899), "Outdoor": (19, 499), "Cycling": (25, 1499),
                          "Team Sports": (9, 149)},
        "brands": ["Stride", "Summitline", "Velox"], "share": 8,
    },
    "Books": {
        "subcategories": {"Fiction": (6, 30), "Non-Fiction": (8, 45), "Children": (5, 25),
                          "Technical": (25, 89)},
        "brands": ["Paperlane Press", "Inkwell", "Quarto House"], "share": 8,
    },
    "Beauty": {
        "subcategories": {"Skincare": (8, 120), "Makeup": (6, 80), "Fragrance": (25, 160),
                          "Haircare": (5, 60)},
        "brands": ["Lumiere", "Verda", "Glowan"], "share": 8,
    },
}
FIRST_NAMES = ["Anna", "Ben", "Carla", "David", "Elena", "Felix", "Grace", "Hiro", "Isabel",
               "Jonas", "Kira", "Liam", "Maya", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Sam",
               "Tara", "Umar", "Vera", "Wei", "Ximena", "Yuki", "Zoe", "Arjun", "Priya", "Lucas",
               "Sofia", "Mateo", "Emma", "Oliver", "Chloe", "Ravi", "Aiko"]
LAST_NAMES = ["Schmidt", "Martin", "Smith", "Garcia", "Rossi", "de Vries", "Lindqvist", "Johnson",
              "Tremblay", "Silva", "Hernandez", "Tanaka", "Brown", "Patel", "Tan", "Muller",
              "Dubois", "Jones", "Lopez", "Bianchi", "Jansen", "Nilsson", "Williams", "Roy",
              "Santos", "Ramirez", "Sato", "Wilson", "Sharma", "Lim", "Becker", "Moreau"]
COMPANY_WORDS = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay",
                 "Soylent", "Cyberdyne", "Tyrell", "Wonka", "Pied Piper", "Aperture", "Oscorp"]
COMPANY_SUFFIXES = ["GmbH", "Ltd", "Inc", "SA", "BV", "AB", "Co", "Group", "Partners"]


@dataclass(frozen=True)
class LakeSummary:
    """Row counts of a built lake, by ``database.table``."""

    path: Path
    rows: dict[str, int]


def _day_weights(days: np.ndarray) -> np.ndarray:
    """Relative order volume per day: growth, a Q4 peak and a weekly rhythm."""
    t = (days - START).astype(int) / float((END - START).astype(int))
    growth = 1.0 + 0.9 * t
    month = (days.astype("datetime64[M]").astype(int) % 12) + 1
    season = np.select([month == 11, month == 12, month == 10, np.isin(month, [1, 2])],
                       [1.45, 1.75, 1.1, 0.85], 1.0)
    weekday = (days.astype("datetime64[D]").astype(int) + 3) % 7  # Monday = 0
    week = np.where(weekday >= 5, 1.15, 1.0)
    return growth * season * week


def _draw_timestamps(rng: np.random.Generator, n: int) -> np.ndarray:
    days = np.arange(START, END + np.timedelta64(1, "D"), dtype="datetime64[D]")
    w = _day_weights(days)
    picked = rng.choice(len(days), size=n, p=w / w.sum())
    seconds = rng.integers(6 * 3600, 23 * 3600, size=n)
    ts = days[picked].astype("datetime64[s]") + seconds.astype("timedelta64[s]")
    return np.sort(ts)


def _eligible_pick(rng: np.random.Generator, sorted_start: np.ndarray, when: np.ndarray,
                   skew: float) -> np.ndarray:
    """Pick, for each moment, an index into ``sorted_start`` among items that existed then.

    Earlier items (long-standing customers, older stores) are favoured by ``skew`` > 1.
    """
    eligible = np.searchsorted(sorted_start, when, side="right")
    eligible = np.maximum(eligible, 1)
    return np.minimum((eligible * rng.random(len(when)) ** skew).astype(np.int64), eligible - 1)


def _customers(rng: np.random.Generator, n: int) -> pd.DataFrame:
    countries = list(COUNTRY_WEIGHT)
    cw = np.array([COUNTRY_WEIGHT[c] for c in countries], dtype=float)
    country = np.array(countries)[rng.choice(len(countries), size=n, p=cw / cw.sum())]
    region_of = {c: r for r, cs in REGIONS.items() for c in cs}
    segment = np.array(["Consumer", "Small Business", "Enterprise"])[
        rng.choice(3, size=n, p=[0.72, 0.2, 0.08])]
    early = rng.random(n) < 0.35
    early_days = rng.integers(0, (START - np.datetime64("2020-01-01")).astype(int), size=n)
    late_days = (rng.random(n) ** 0.8 * ((END - START).astype(int) + 1)).astype(int)
    signup = np.where(early, np.datetime64("2020-01-01") + early_days, START + late_days)
    signup = np.sort(signup.astype("datetime64[D]"))
    first = rng.choice(FIRST_NAMES, size=n)
    last = rng.choice(LAST_NAMES, size=n)
    ids = np.arange(1, n + 1)
    company = rng.choice(COMPANY_WORDS, size=n)
    suffix = rng.choice(COMPANY_SUFFIXES, size=n)
    person = np.char.add(np.char.add(first, " "), last)
    business = np.char.add(np.char.add(company, " "), suffix)
    name = np.where(segment == "Consumer", person, business)
    email_local = np.char.lower(np.char.replace(np.char.add(np.char.add(first, "."), last), " ", ""))
    email = [f"{e}{i}@example.com" for e, i in zip(email_local, ids)]
    return pd.DataFrame({
        "customer_id": ids, "customer_name": name, "email": email, "segment": segment,
        "country": country, "region": [region_of[c] for c in country],
        "signup_date": signup,
    })


def _products(rng: np.random.Generator, n: int = 300) -> pd.DataFrame:
    cats = list(CATALOG)
    shares = np.array([CATALOG[c]["share"] for c in cats], dtype=float)
    counts = np.floor(shares / shares.sum() * n).astype(int)
    counts[0] += n - counts.sum()
    rows = []
    pid = 1
    for cat, count in zip(cats, counts):
        spec = CATALOG[cat]
        subs = list(spec["subcategories"])
        for k in range(count):
            sub = subs[k % len(subs)]
            brand = spec["brands"][rng.integers(len(spec["brands"]))]
            lo, hi = spec["subcategories"][sub]
            price = round(float(np.exp(rng.uniform(np.log(lo), np.log(hi)))), 0) - 0.01
            cost = round(price * float(rng.uniform(0.45, 0.75)), 2)
            rows.append({"product_id": pid, "product_name": f"{brand} {sub} {100 + pid}",
                         "category": cat, "subcategory": sub, "brand": brand,
                         "list_price": price, "unit_cost": cost})
            pid += 1
    return pd.DataFrame(rows)


def _stores(rng: np.random.Generator, n: int = 40) -> pd.DataFrame:
    region_of = {c: r for r, cs in REGIONS.items() for c in cs}
    cities = [(city, country) for country, cs in CITIES.items() for city in cs]
    rows = []
    for i in range(n):
        city, country = cities[i % len(cities)]
        suffix = STORE_SUFFIXES[(i // len(cities)) % len(STORE_SUFFIXES)]
        opened = np.datetime64("2012-01-01") + int(rng.integers(0, 4380))
        if i >= n - 4:  # a few stores open during the data period
            opened = START + int(rng.integers(30, 900))
        rows.append({"store_id": i + 1, "store_name": f"{city} {suffix}", "city": city,
                     "country": country, "region": region_of[country],
                     "opened_date": np.datetime64(opened, "D")})
    return pd.DataFrame(rows)


def _orders_and_items(rng: np.random.Generator, n_orders: int, customers: pd.DataFrame,
                      products: pd.DataFrame, stores: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    ts = _draw_timestamps(rng, n_orders)
    days = ts.astype("datetime64[D]")
    signups = customers["signup_date"].to_numpy().astype("datetime64[D]")
    cust_idx = _eligible_pick(rng, signups, days, skew=1.6)
    customer_id = customers["customer_id"].to_numpy()[cust_idx]
    segment = customers["segment"].to_numpy()[cust_idx]

    channel = np.array(["Online", "Mobile", "Store"])[
        rng.choice(3, size=n_orders, p=[0.52, 0.28, 0.20])]
    stores_sorted = stores.sort_values("opened_date")
    opened = stores_sorted["opened_date"].to_numpy().astype("datetime64[D]")
    store_idx = _eligible_pick(rng, opened, days, skew=1.8)
    store_id = np.where(channel == "Store", stores_sorted["store_id"].to_numpy()[store_idx], -1)

    status = np.array(["completed", "returned", "cancelled"])[
        rng.choice(3, size=n_orders, p=[0.87, 0.08, 0.05])]
    pay_roll = rng.random(n_orders)
    payment = np.where(pay_roll < 0.6, "Card", "PayPal")
    payment = np.where((channel == "Store") & (pay_roll > 0.7), "Cash", payment)
    payment = np.where((channel == "Store") & (payment == "PayPal"), "Card", payment)
    payment = np.where((segment != "Consumer") & (pay_roll > 0.55), "Invoice", payment)

    orders = pd.DataFrame({
        "order_id": np.arange(1, n_orders + 1), "order_ts": ts, "customer_id": customer_id,
        "store_id": pd.array(np.where(store_id > 0, store_id, 0), dtype="Int64"),
        "channel": channel, "status": status, "payment_method": payment,
    })
    orders.loc[store_id <= 0, "store_id"] = pd.NA

    lines = np.minimum(1 + rng.poisson(1.67, size=n_orders), 8)
    order_of_line = np.repeat(orders["order_id"].to_numpy(), lines)
    line_number = np.concatenate([np.arange(1, k + 1) for k in lines]) if n_orders else np.array([])
    n_lines = len(order_of_line)
    pop = 1.0 / np.arange(1, len(products) + 1) ** 0.9
    perm = rng.permutation(len(products))
    weights = pop[np.argsort(perm)]
    prod_idx = rng.choice(len(products), size=n_lines, p=weights / weights.sum())
    quantity = 1 + rng.poisson(0.45, size=n_lines)
    unit_price = products["list_price"].to_numpy()[prod_idx]
    discount = np.where(rng.random(n_lines) < 0.7, 0.0,
                        rng.choice([0.05, 0.10, 0.15, 0.20, 0.25], size=n_lines))
    net = np.round(quantity * unit_price * (1 - discount), 2)
    month_of_order = pd.Series(ts).dt.strftime("%Y-%m").to_numpy()
    items = pd.DataFrame({
        "order_id": order_of_line, "line_number": line_number, "product_id":
        products["product_id"].to_numpy()[prod_idx], "quantity": quantity,
        "unit_price": unit_price, "discount": discount, "net_amount": net,
        "month": np.repeat(month_of_order, lines),
    })
    orders["month"] = month_of_order
    return orders, items


def _tickets(rng: np.random.Generator, n: int, customers: pd.DataFrame) -> pd.DataFrame:
    created = _draw_timestamps(rng, n)
    signups = customers["signup_date"].to_numpy().astype("datetime64[D]")
    cust_idx = _eligible_pick(rng, signups, created.astype("datetime64[D]"), skew=1.3)
    priority = np.array(["Low", "Medium", "High", "Urgent"])[
        rng.choice(4, size=n, p=[0.35, 0.4, 0.18, 0.07])]
    age_days = (END + np.timedelta64(1, "D") - created.astype("datetime64[D]")).astype(int)
    recent = age_days <= 30
    roll = rng.random(n)
    status = np.where(recent, np.where(roll < 0.3, "Open", np.where(roll < 0.55, "Pending", "Solved")),
                      np.where(roll < 0.02, "Open", np.where(roll < 0.05, "Pending", "Solved")))
    mean_hours = np.select([priority == "Urgent", priority == "High", priority == "Medium"],
                           [4.0, 12.0, 30.0], 60.0)
    hours = rng.exponential(mean_hours) + rng.random(n)
    closed = created + (hours * 3600).astype("timedelta64[s]")
    solved = status == "Solved"
    base = np.clip(np.round(4.6 - np.log1p(hours) / 2.5 + rng.normal(0, 0.8, size=n)), 1, 5)
    tickets = pd.DataFrame({
        "ticket_id": np.arange(1, n + 1), "customer_id": customers["customer_id"].to_numpy()[cust_idx],
        "created_ts": created, "closed_ts": pd.Series(closed).where(solved),
        "priority": priority, "status": status,
        "channel": np.array(["Email", "Chat", "Phone"])[rng.choice(3, size=n, p=[0.5, 0.32, 0.18])],
        "topic": np.array(["Billing", "Shipping", "Returns", "Product", "Account"])[
            rng.choice(5, size=n, p=[0.2, 0.3, 0.18, 0.22, 0.1])],
        "csat": pd.array(np.where(solved, base, 0).astype(int), dtype="Int64"),
        "month": pd.Series(created).dt.strftime("%Y-%m").to_numpy(),
    })
    tickets.loc[~solved, "csat"] = pd.NA
    return tickets


# Column types as Athena/Glue would declare them; DuckDB writes matching Parquet types.
TABLE_SQL = {
    ("sales", "customers"): """SELECT CAST(customer_id AS BIGINT) AS customer_id, customer_name, email,
        segment, country, region, CAST(signup_date AS DATE) AS signup_date FROM customers_df""",
    ("sales", "products"): """SELECT CAST(product_id AS BIGINT) AS product_id, product_name, category,
        subcategory, brand, CAST(list_price AS DECIMAL(10,2)) AS list_price,
        CAST(unit_cost AS DECIMAL(10,2)) AS unit_cost FROM products_df""",
    ("sales", "stores"): """SELECT CAST(store_id AS BIGINT) AS store_id, store_name, city, country, region,
        CAST(opened_date AS DATE) AS opened_date FROM stores_df""",
    ("sales", "orders"): """SELECT CAST(order_id AS BIGINT) AS order_id, CAST(order_ts AS TIMESTAMP) AS order_ts,
        CAST(customer_id AS BIGINT) AS customer_id, CAST(store_id AS BIGINT) AS store_id, channel,
        status, payment_method, month FROM orders_df""",
    ("sales", "order_items"): """SELECT CAST(order_id AS BIGINT) AS order_id, CAST(line_number AS INTEGER)
        AS line_number, CAST(product_id AS BIGINT) AS product_id, CAST(quantity AS INTEGER) AS quantity,
        CAST(unit_price AS DECIMAL(10,2)) AS unit_price, CAST(discount AS DECIMAL(4,2)) AS discount,
        CAST(net_amount AS DECIMAL(12,2)) AS net_amount, month FROM items_df""",
    ("support", "tickets"): """SELECT CAST(ticket_id AS BIGINT) AS ticket_id, CAST(customer_id AS BIGINT)
        AS customer_id, CAST(created_ts AS TIMESTAMP) AS created_ts, CAST(closed_ts AS TIMESTAMP)
        AS closed_ts, priority, status, channel, topic, CAST(csat AS INTEGER) AS csat, month
        FROM tickets_df""",
}
PARTITIONED = {("sales", "orders"), ("sales", "order_items"), ("support", "tickets")}


def build_sample_lake(lake: Path, scale: float = 1.0, seed: int = 42) -> LakeSummary:
    """Write the sample lake under ``lake`` (replacing the sample tables) and return row counts."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    rng = np.random.default_rng(seed)
    customers = _customers(rng, max(50, int(round(20_000 * scale))))
    products = _products(rng)
    stores = _stores(rng)
    orders, items = _orders_and_items(rng, max(100, int(round(150_000 * scale))),
                                      customers, products, stores)
    tickets = _tickets(rng, max(50, int(round(30_000 * scale))), customers)

    lake = Path(lake)
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    frames = {"customers_df": customers, "products_df": products, "stores_df": stores,
              "orders_df": orders, "items_df": items, "tickets_df": tickets}
    for name, frame in frames.items():
        con.register(name, frame)
    rows: dict[str, int] = {}
    for (database, table), sql in TABLE_SQL.items():
        target = lake / database / table
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        if (database, table) in PARTITIONED:
            con.execute(f"COPY ({sql}) TO '{target.as_posix()}' "
                        "(FORMAT PARQUET, PARTITION_BY (month), FILENAME_PATTERN 'part_{i}')")
        else:
            con.execute(f"COPY ({sql}) TO '{(target / 'part_0.parquet').as_posix()}' (FORMAT PARQUET)")
        rows[f"{database}.{table}"] = con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]
    con.close()
    return LakeSummary(path=lake, rows=rows)
