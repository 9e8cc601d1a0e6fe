"""A small lake of a B2B SaaS business the bot has never seen: for `semantic-model init` (issue 11).

Layout as in Athena: ``saas/<table>/*.parquet``; usage events are partitioned by month like a
real event table. Deliberately realistic: account names repeat (companies share names), some
foreign keys are NULL (unassigned accounts, one-off invoices), ``status`` is a column of four
tables with overlapping values, ``csat`` and ``score`` are ratings (averages, not sums), ``mrr``
is a state (a subscription's current monthly amount), and every entity has a created/start date.
The same seed gives the same data; building takes well under a second.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

START, END = np.datetime64("2023-01-01"), np.datetime64("2025-12-31")
REGIONS = {"EMEA": ["Germany", "France", "United Kingdom", "Netherlands"],
           "AMER": ["United States", "Canada", "Brazil"],
           "APAC": ["Japan", "Australia", "Singapore"]}
COUNTRY_WEIGHT = {"Germany": 10, "France": 6, "United Kingdom": 9, "Netherlands": 4, "United States": 28,
                  "Canada": 6, "Brazil": 5, "Japan": 6, "Australia": 5, "Singapore": 3}
INDUSTRIES = ["Software", "Retail", "Finance", "Healthcare", "Manufacturing", "Education", "Media"]
NAME_WORDS = ["Northwind", "Contoso", "Fabrikam", "Tailspin", "Wingtip", "Litware", "Adatum", "Proseware",
              "Lucerne", "Woodgrove", "Alpine", "Bluebird", "Coho", "Fourth Coffee", "Trey"]
NAME_SUFFIXES = ["Inc", "LLC", "GmbH", "Ltd", "Group", "Labs", "Systems"]
REPS = [("Alice Moreau", "EMEA"), ("Bruno Keller", "EMEA"), ("Chloe Evans", "EMEA"), ("Dmitri Volkov", "EMEA"),
        ("Erin Walsh", "AMER"), ("Frank Ortiz", "AMER"), ("Gina Park", "AMER"), ("Hector Ruiz", "AMER"),
        ("Ines Duarte", "AMER"), ("Jun Tanaka", "APAC"), ("Kavya Rao", "APAC"), ("Liam O'Brien", "APAC")]
PLANS = [(1, "Starter", 15.0), (2, "Team", 35.0), (3, "Business", 60.0), (4, "Enterprise", 110.0)]
FEATURES = ["Dashboards", "Reports", "API", "Exports", "Alerts"]


def _days(start: np.datetime64, end: np.datetime64) -> int:
    return int((end - start).astype(int))


def build_saas_lake(lake: Path, accounts: int = 400, seed: int = 11) -> None:
    """Write the SaaS lake under ``lake`` (database ``saas``)."""
    rng = np.random.default_rng(seed)
    region_of = {c: r for r, cs in REGIONS.items() for c in cs}
    countries = list(COUNTRY_WEIGHT)
    cw = np.array([COUNTRY_WEIGHT[c] for c in countries], dtype=float)

    reps = pd.DataFrame({
        "sales_rep_id": np.arange(1, len(REPS) + 1),
        "rep_name": [r[0] for r in REPS], "team": [r[1] for r in REPS],
        "hired_on": np.datetime64("2019-03-01") + rng.integers(0, 1800, size=len(REPS)).astype("timedelta64[D]"),
    })

    # accounts: created 2021-2025, more each year; names repeat; 15 % have no sales rep
    n = accounts
    created = np.sort(np.datetime64("2021-01-01")
                      + (rng.random(n) ** 0.7 * _days(np.datetime64("2021-01-01"), END)).astype("timedelta64[D]"))
    country = np.array(countries)[rng.choice(len(countries), size=n, p=cw / cw.sum())]
    segment = np.array(["SMB", "Mid-Market", "Enterprise"])[rng.choice(3, size=n, p=[0.6, 0.3, 0.1])]
    team_reps = {t: [i + 1 for i, r in enumerate(REPS) if r[1] == t] for t in REGIONS}
    rep = np.array([rng.choice(team_reps[region_of[c]]) for c in country], dtype=float)
    rep[rng.random(n) < 0.15] = np.nan
    recent = created > END - np.timedelta64(45, "D")
    status = np.where(recent, "Trial", np.where(rng.random(n) < 0.22, "Churned", "Active"))
    accounts_df = pd.DataFrame({
        "account_id": np.arange(1, n + 1),
        "account_name": [f"{rng.choice(NAME_WORDS)} {rng.choice(NAME_SUFFIXES)}" for _ in range(n)],
        "industry": rng.choice(INDUSTRIES, size=n),
        "segment": segment, "country": country, "region": [region_of[c] for c in country],
        "sales_rep_id": pd.array(rep, dtype="Int64"),
        "created_at": created, "status": status,
        "health_score": np.clip(rng.normal(np.where(status == "Churned", 40, 72), 15), 0, 100).astype(int),
    })

    # subscriptions: one per account, a second (upgrade) for some; cancelled ones have an end date
    subs = []
    for a in accounts_df.itertuples():
        plan = int(rng.choice(4, p={"SMB": [0.5, 0.4, 0.1, 0.0], "Mid-Market": [0.1, 0.4, 0.4, 0.1],
                                    "Enterprise": [0.0, 0.1, 0.4, 0.5]}[a.segment])) + 1
        start = min(np.datetime64(a.created_at, "D") + np.timedelta64(int(rng.integers(0, 20)), "D"), END)
        seats = int(rng.integers(2, {"SMB": 15, "Mid-Market": 60, "Enterprise": 300}[a.segment]))
        end = None
        if a.status == "Churned":
            end = start + np.timedelta64(int(rng.integers(60, 700)), "D")
            if end > END:
                end = END - np.timedelta64(int(rng.integers(1, 60)), "D")
            end = min(max(end, start + np.timedelta64(30, "D")), END)
        state = "Trial" if a.status == "Trial" else ("Cancelled" if end is not None else "Active")
        subs.append([a.account_id, plan, start, end, state, seats])
        if a.status == "Active" and plan < 4 and rng.random() < 0.25 and start < END - np.timedelta64(200, "D"):
            switch = start + np.timedelta64(int(rng.integers(90, max(91, _days(start, END) - 30))), "D")
            subs[-1][3], subs[-1][4] = switch, "Cancelled"
            subs.append([a.account_id, plan + 1, switch, None, "Active", int(seats * rng.uniform(1.0, 1.6))])
    subs_df = pd.DataFrame(subs, columns=["account_id", "plan_id", "start_date", "end_date", "status", "seats"])
    subs_df.insert(0, "subscription_id", np.arange(1, len(subs_df) + 1))
    price = {p[0]: p[2] for p in PLANS}
    subs_df["mrr"] = [round(s * price[p] * rng.uniform(0.8, 1.0), 2) for s, p in zip(subs_df.seats, subs_df.plan_id)]

    # invoices: monthly per paying subscription within the data period, plus one-off service invoices
    inv = []
    for s in subs_df.itertuples():
        if s.status == "Trial":
            continue
        first = max(np.datetime64(s.start_date, "D"), START)
        last = np.datetime64(s.end_date, "D") if s.end_date is not None and not pd.isna(s.end_date) else END
        month = first.astype("datetime64[M]")
        while month <= last.astype("datetime64[M]"):  # billed monthly, on the 1st (or the start day)
            inv.append((s.account_id, s.subscription_id, max(month.astype("datetime64[D]"), first), round(s.mrr, 2)))
            month += 1
    for _ in range(260):
        a = int(rng.integers(1, n + 1))
        when = max(np.datetime64(accounts_df.created_at[a - 1], "D"), START)
        if when >= END:
            continue
        day = when + np.timedelta64(int(rng.integers(0, max(1, _days(when, END)))), "D")
        inv.append((a, None, day, round(float(rng.uniform(500, 15_000)), 2)))
    inv_df = pd.DataFrame(inv, columns=["account_id", "subscription_id", "issued_date", "amount"])
    inv_df = inv_df.sort_values(["issued_date", "account_id"], kind="stable").reset_index(drop=True)
    inv_df.insert(0, "invoice_id", np.arange(1, len(inv_df) + 1))
    inv_df["subscription_id"] = pd.array(inv_df["subscription_id"], dtype="Int64")
    issued = inv_df["issued_date"].to_numpy().astype("datetime64[D]")
    inv_df["due_date"] = issued + np.timedelta64(30, "D")
    roll = rng.random(len(inv_df))
    age = (END - issued).astype(int)
    inv_status = np.where(roll < 0.01, "Void", np.where(age < 30, np.where(roll < 0.6, "Open", "Paid"),
                                                       np.where(roll < 0.04, "Overdue", "Paid")))
    inv_df["status"] = inv_status
    paid = issued + rng.integers(0, 35, size=len(inv_df)).astype("timedelta64[D]")
    inv_df["paid_date"] = pd.Series(np.minimum(paid, END)).where(inv_status == "Paid")
    inv_df = inv_df[["invoice_id", "account_id", "subscription_id", "issued_date", "due_date", "paid_date",
                     "amount", "status"]]

    # usage events: by accounts that existed, partitioned by month
    n_events = 24_000
    span = _days(START, END) + 1
    ev_day = START + np.sort((rng.random(n_events) ** 0.8 * span).astype(int)).astype("timedelta64[D]")
    eligible = np.maximum(np.searchsorted(created, ev_day, side="right"), 1)
    ev_account = (eligible * rng.random(n_events) ** 1.5).astype(int) + 1
    ev_ts = ev_day.astype("datetime64[s]") + rng.integers(7 * 3600, 20 * 3600, size=n_events).astype("timedelta64[s]")
    events = pd.DataFrame({
        "event_id": np.arange(1, n_events + 1), "account_id": ev_account, "event_ts": ev_ts,
        "feature": np.array(FEATURES)[rng.choice(5, size=n_events, p=[0.35, 0.25, 0.15, 0.15, 0.10])],
        "platform": np.array(["Web", "iOS", "Android", "API"])[rng.choice(4, size=n_events, p=[0.6, 0.15, 0.1, 0.15])],
        "duration_seconds": rng.integers(5, 1800, size=n_events),
        "month": pd.Series(ev_ts).dt.strftime("%Y-%m").to_numpy(),
    })

    # support cases: opened by existing accounts; CSAT 1-5 on some closed cases
    n_cases = 1_500
    opened_day = START + np.sort((rng.random(n_cases) ** 0.9 * span).astype(int)).astype("timedelta64[D]")
    eligible = np.maximum(np.searchsorted(created, opened_day, side="right"), 1)
    case_account = (eligible * rng.random(n_cases)).astype(int) + 1
    opened = opened_day.astype("datetime64[s]") + rng.integers(6 * 3600, 22 * 3600, size=n_cases).astype("timedelta64[s]")
    priority = np.array(["Low", "Normal", "High", "Urgent"])[rng.choice(4, size=n_cases, p=[0.3, 0.45, 0.18, 0.07])]
    hours = rng.exponential(np.select([priority == "Urgent", priority == "High", priority == "Normal"],
                                      [5.0, 16.0, 40.0], 72.0)) + 0.5
    young = (END - opened_day).astype(int) < 21
    roll = rng.random(n_cases)
    case_status = np.where(young, np.where(roll < 0.4, "Open", np.where(roll < 0.6, "Pending", "Closed")),
                           np.where(roll < 0.02, "Open", np.where(roll < 0.04, "Pending", "Closed")))
    closed = opened + (hours * 3600).astype("timedelta64[s]")
    rated = (case_status == "Closed") & (rng.random(n_cases) < 0.6)
    csat = np.clip(np.round(4.7 - np.log1p(hours) / 2.2 + rng.normal(0, 0.7, size=n_cases)), 1, 5).astype(int)
    cases = pd.DataFrame({
        "case_id": np.arange(1, n_cases + 1), "account_id": case_account, "opened_at": opened,
        "closed_at": pd.Series(closed).where(case_status == "Closed"), "priority": priority,
        "status": case_status,
        "channel": np.array(["Email", "Chat", "Phone", "Portal"])[rng.choice(4, size=n_cases, p=[0.4, 0.3, 0.15, 0.15])],
        "category": np.array(["Billing", "Bug", "How-to", "Feature request", "Outage"])[
            rng.choice(5, size=n_cases, p=[0.2, 0.3, 0.3, 0.15, 0.05])],
        "csat": pd.array(np.where(rated, csat, 0), dtype="Int64"),
    })
    cases.loc[~rated, "csat"] = pd.NA

    # NPS survey responses, 0-10
    n_nps = 900
    resp_day = START + np.sort(rng.integers(0, span, size=n_nps)).astype("timedelta64[D]")
    eligible = np.maximum(np.searchsorted(created, resp_day, side="right"), 1)
    nps = pd.DataFrame({
        "response_id": np.arange(1, n_nps + 1),
        "account_id": (eligible * rng.random(n_nps)).astype(int) + 1,
        "responded_at": resp_day,
        "score": np.clip(np.round(rng.normal(7.4, 2.2, size=n_nps)), 0, 10).astype(int),
    })

    plans = pd.DataFrame({"plan_id": [p[0] for p in PLANS], "plan_name": [p[1] for p in PLANS],
                          "price_per_seat": [p[2] for p in PLANS]})
    con = duckdb.connect()
    frames = {"accounts": accounts_df, "sales_reps": reps, "plans": plans, "subscriptions": subs_df,
              "invoices": inv_df, "usage_events": events, "support_cases": cases, "nps_responses": nps}
    for name, frame in frames.items():
        con.register(f"{name}_df", frame)
    tables = {
        "accounts": "SELECT CAST(account_id AS BIGINT) AS account_id, account_name, industry, segment, country, "
                    "region, CAST(sales_rep_id AS BIGINT) AS sales_rep_id, CAST(created_at AS DATE) AS created_at, "
                    "status, CAST(health_score AS INTEGER) AS health_score FROM accounts_df",
        "sales_reps": "SELECT CAST(sales_rep_id AS BIGINT) AS sales_rep_id, rep_name, team, "
                      "CAST(hired_on AS DATE) AS hired_on FROM sales_reps_df",
        "plans": "SELECT CAST(plan_id AS BIGINT) AS plan_id, plan_name, CAST(price_per_seat AS DECIMAL(8,2)) "
                 "AS price_per_seat FROM plans_df",
        "subscriptions": "SELECT CAST(subscription_id AS BIGINT) AS subscription_id, CAST(account_id AS BIGINT) "
                         "AS account_id, CAST(plan_id AS BIGINT) AS plan_id, CAST(start_date AS DATE) AS start_date, "
                         "CAST(end_date AS DATE) AS end_date, status, CAST(seats AS INTEGER) AS seats, "
                         "CAST(mrr AS DECIMAL(12,2)) AS mrr FROM subscriptions_df",
        "invoices": "SELECT CAST(invoice_id AS BIGINT) AS invoice_id, CAST(account_id AS BIGINT) AS account_id, "
                    "CAST(subscription_id AS BIGINT) AS subscription_id, CAST(issued_date AS DATE) AS issued_date, "
                    "CAST(due_date AS DATE) AS due_date, CAST(paid_date AS DATE) AS paid_date, "
                    "CAST(amount AS DECIMAL(12,2)) AS amount, status FROM invoices_df",
        "support_cases": "SELECT CAST(case_id AS BIGINT) AS case_id, CAST(account_id AS BIGINT) AS account_id, "
                         "CAST(opened_at AS TIMESTAMP) AS opened_at, CAST(closed_at AS TIMESTAMP) AS closed_at, "
                         "priority, status, channel, category, CAST(csat AS INTEGER) AS csat FROM support_cases_df",
        "nps_responses": "SELECT CAST(response_id AS BIGINT) AS response_id, CAST(account_id AS BIGINT) AS account_id, "
                         "CAST(responded_at AS DATE) AS responded_at, CAST(score AS INTEGER) AS score "
                         "FROM nps_responses_df",
    }
    root = Path(lake) / "saas"
    for name, sql in tables.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY ({sql}) TO '{(root / name / 'part_0.parquet').as_posix()}' (FORMAT PARQUET)")
    (root / "usage_events").mkdir(parents=True, exist_ok=True)
    con.execute("COPY (SELECT CAST(event_id AS BIGINT) AS event_id, CAST(account_id AS BIGINT) AS account_id, "
                "CAST(event_ts AS TIMESTAMP) AS event_ts, feature, platform, CAST(duration_seconds AS INTEGER) "
                "AS duration_seconds, month FROM usage_events_df) "
                f"TO '{(root / 'usage_events').as_posix()}' (FORMAT PARQUET, PARTITION_BY (month))")
    con.close()
