"""store.tables, the Core view the light commands read through, mirrors the models column
for column: a column added to a model and not there fails here."""

import pytest
from sqlmodel import SQLModel

import kchat_cli.store.models  # noqa: F401  (defines SQLModel.metadata's tables)
from kchat_cli.store import tables

# sqlmodel spells a str column AutoString; Core's String is the same column in the store.
SAME_TYPE = {"AutoString": "String"}


def described(table) -> dict[str, tuple]:
    return {
        column.name: (
            SAME_TYPE.get(type(column.type).__name__, type(column.type).__name__),
            column.nullable,
            column.primary_key,
        )
        for column in table.columns
    }


@pytest.mark.parametrize("name", sorted(tables.metadata.tables))
def test_each_core_table_mirrors_its_model(name):
    assert described(tables.metadata.tables[name]) == described(SQLModel.metadata.tables[name])
