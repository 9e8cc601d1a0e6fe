"""A second, small lake of another domain (HR) that the bot has never seen: for `semantic-model init`.

Layout as in Athena: ``hr/<table>/*.parquet``; salaries are partitioned by year like a real
history table would be.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

DEPARTMENTS = [  # name, division, share of employees
    ("Engineering", "Technology", 0.30), ("Data", "Technology", 0.10), ("Sales", "Commercial", 0.20),
    ("Marketing", "Commercial", 0.10), ("Finance", "Corporate", 0.10), ("People", "Corporate", 0.08),
    ("Support", "Commercial", 0.12),
]
LOCATIONS = ["Berlin", "London", "New York", "Singapore", "Remote"]
TITLES = {"Engineering": ["Software Engineer", "Senior Engineer", "Engineering Manager"],
          "Data": ["Data Analyst", "Data Scientist"], "Sales": ["Account Executive", "Sales Manager"],
          "Marketing": ["Marketing Specialist", "Marketing Manager"],
          "Finance": ["Accountant", "Finance Manager"], "People": ["Recruiter", "HR Partner"],
          "Support": ["Support Agent", "Support Lead"]}
BASE_PAY = {"Engineering": 95_000, "Data": 90_000, "Sales": 70_000, "Marketing": 65_000,
            "Finance": 75_000, "People": 60_000, "Support": 48_000}
SOURCES = ["Referral", "LinkedIn", "Agency", "Careers Site"]


def build_hr_lake(lake: Path, employees: int = 600, seed: int = 3) -> None:
    rng = np.random.default_rng(seed)
    departments = pd.DataFrame({
        "department_id": np.arange(1, len(DEPARTMENTS) + 1),
        "department_name": [d[0] for d in DEPARTMENTS],
        "division": [d[1] for d in DEPARTMENTS],
    })
    dept_idx = rng.choice(len(DEPARTMENTS), size=employees, p=[d[2] for d in DEPARTMENTS])
    hire_day = rng.integers(0, (np.datetime64("2025-06-30") - np.datetime64("2019-01-01")).astype(int),
                            size=employees)
    hire_date = np.datetime64("2019-01-01") + hire_day.astype("timedelta64[D]")
    left = rng.random(employees) < 0.18
    stay = rng.integers(60, 1500, size=employees).astype("timedelta64[D]")
    termination = np.where(left & (hire_date + stay < np.datetime64("2025-06-30")), hire_date + stay,
                           np.datetime64("NaT"))
    first = ["Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Goran", "Hana", "Ivan", "Jo", "Kofi", "Lena"]
    last = ["Novak", "Smith", "Garcia", "Kim", "Muller", "Okafor", "Rossi", "Sato", "Weber", "Ali"]
    employees_df = pd.DataFrame({
        "employee_id": np.arange(1, employees + 1),
        "full_name": [f"{first[i % 12]} {last[(i * 7) % 10]} {i}" for i in range(employees)],
        "department_id": dept_idx + 1,
        "job_title": [rng.choice(TITLES[DEPARTMENTS[d][0]]) for d in dept_idx],
        "location": rng.choice(LOCATIONS, size=employees, p=[0.3, 0.25, 0.2, 0.1, 0.15]),
        "employment_type": rng.choice(["Full-time", "Part-time", "Contractor"], size=employees,
                                      p=[0.78, 0.1, 0.12]),
        "gender": rng.choice(["Female", "Male", "Non-binary"], size=employees, p=[0.46, 0.5, 0.04]),
        "hire_date": hire_date,
        "termination_date": termination,
        "status": np.where(pd.isna(termination), "Active", "Terminated"),
    })
    salary_rows = []
    salary_id = 1
    for e in employees_df.itertuples():
        pay = BASE_PAY[DEPARTMENTS[e.department_id - 1][0]] * rng.uniform(0.8, 1.3)
        day = pd.Timestamp(e.hire_date)
        end = pd.Timestamp(e.termination_date) if not pd.isna(e.termination_date) else pd.Timestamp("2025-06-30")
        while day <= end:
            salary_rows.append((salary_id, e.employee_id, round(pay, 2), round(pay * rng.uniform(0, 0.15), 2),
                                day.date(), str(day.year)))
            salary_id += 1
            pay *= rng.uniform(1.0, 1.08)
            day = pd.Timestamp(day.year + 1, 4, 1)
    salaries = pd.DataFrame(salary_rows, columns=["salary_id", "employee_id", "salary", "bonus",
                                                  "effective_date", "year"])
    hires = pd.DataFrame({
        "hire_id": np.arange(1, employees + 1),
        "employee_id": employees_df["employee_id"],
        "hired_on": hire_date,
        "source": rng.choice(SOURCES, size=employees, p=[0.3, 0.35, 0.15, 0.2]),
        "hiring_cost": np.round(rng.uniform(500, 12_000, size=employees), 2),
    })
    con = duckdb.connect()
    for name, frame in {"departments": departments, "employees": employees_df, "salaries": salaries,
                        "hires": hires}.items():
        con.register(f"{name}_df", frame)
    root = Path(lake) / "hr"
    tables = {
        "departments": "SELECT CAST(department_id AS BIGINT) AS department_id, department_name, division "
                       "FROM departments_df",
        "employees": "SELECT CAST(employee_id AS BIGINT) AS employee_id, full_name, "
                     "CAST(department_id AS BIGINT) AS department_id, job_title, location, employment_type, "
                     "gender, CAST(hire_date AS DATE) AS hire_date, CAST(termination_date AS DATE) "
                     "AS termination_date, status FROM employees_df",
        "hires": "SELECT CAST(hire_id AS BIGINT) AS hire_id, CAST(employee_id AS BIGINT) AS employee_id, "
                 "CAST(hired_on AS DATE) AS hired_on, source, CAST(hiring_cost AS DECIMAL(10,2)) "
                 "AS hiring_cost FROM hires_df",
    }
    for name, sql in tables.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY ({sql}) TO '{(root / name / 'part_0.parquet').as_posix()}' (FORMAT PARQUET)")
    (root / "salaries").mkdir(parents=True, exist_ok=True)
    con.execute("COPY (SELECT CAST(salary_id AS BIGINT) AS salary_id, CAST(employee_id AS BIGINT) "
                "AS employee_id, CAST(salary AS DECIMAL(12,2)) AS salary, CAST(bonus AS DECIMAL(12,2)) "
                "AS bonus, CAST(effective_date AS DATE) AS effective_date, year FROM salaries_df) "
                f"TO '{(root / 'salaries').as_posix()}' (FORMAT PARQUET, PARTITION_BY (year))")
    con.close()
