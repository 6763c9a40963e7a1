import math

import pandas as pd

from eit_geo.frames import records


def test_records_are_rows_keyed_by_column_in_table_order():
    table = pd.DataFrame(
        {"id": ["c2", "c1"], "quantity": [12.5, float("nan")], "since": [2019, 2021]},
        index=[7, 3],
    )
    rows = records(table)
    assert [row["id"] for row in rows] == ["c2", "c1"]
    assert rows[0] == {"id": "c2", "quantity": 12.5, "since": 2019}
    assert math.isnan(rows[1]["quantity"])
    assert all(isinstance(key, str) for row in rows for key in row)


def test_records_of_an_empty_table_is_empty():
    assert records(pd.DataFrame(columns=["id", "quantity"])) == []
