"""Pydantic model source from recorded schemas (strangler.porting.models), checked by
running the source it writes."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from rollout.traffic.shapes import infer, merge_all
from strangler.porting.models import ModelSource, class_name_of, import_lines, python_name


def built(name: str, samples: list[Any]) -> tuple[dict[str, Any], str]:
    """The namespace of the rendered models and the top annotation."""
    models = ModelSource()
    schema = merge_all(infer(sample) for sample in samples)
    assert schema is not None
    annotation = models.annotation(name, schema)
    source = "\n".join(
        ["from __future__ import annotations", *import_lines(models.used - {"Field"}),
         "from pydantic import BaseModel, Field", "", models.render()]
    )  # fmt: skip
    namespace: dict[str, Any] = {}
    exec(compile(source, "<models>", "exec"), namespace)
    for value in namespace.values():
        if isinstance(value, type) and issubclass(value, BaseModel) and value is not BaseModel:
            value.model_rebuild(_types_namespace=namespace)
    return namespace, annotation


def test_required_optional_and_nullable_fields() -> None:
    samples = [{"id": 1, "nickname": None, "note": "x"}, {"id": 2, "nickname": "main"}]
    namespace, annotation = built("Account", samples)

    model = namespace[annotation]
    fields = model.model_fields
    assert fields["id"].is_required() and fields["nickname"].is_required()
    assert not fields["note"].is_required()
    assert model(id=3, nickname=None).note is None
    with pytest.raises(ValidationError):
        model(nickname="x")  # id is required


def test_nested_objects_and_lists_become_their_own_models() -> None:
    samples = [{"data": [{"id": 1, "created_at": "2026-01-01T00:00:00Z"}], "next_cursor": None}]
    namespace, annotation = built("Page", samples)

    page = namespace[annotation](data=[{"id": 1, "created_at": "2026-01-01T00:00:00Z"}],
                                 next_cursor=None)  # fmt: skip
    assert type(page.data[0]).__name__ == "PageDataItem"
    assert page.data[0].created_at.year == 2026


def test_keys_python_cannot_name_get_aliases() -> None:
    namespace, annotation = built("Odd", [{"class": 1, "content-type": "x", "2fa": True}])

    odd = namespace[annotation].model_validate({"class": 1, "content-type": "x", "2fa": True})
    assert odd.model_dump(by_alias=True) == {"class": 1, "content-type": "x", "2fa": True}


def test_a_top_level_list() -> None:
    _namespace, annotation = built("Items", [[{"id": 1}]])
    assert annotation == "list[ItemItem]"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        pytest.param("ledger_entries", "LedgerEntries", id="snake"),
        pytest.param("get /api/v1/x", "GetApiV1X", id="route-ish"),
        pytest.param("2fa", "Model2fa", id="leading-digit"),
    ],
)
def test_class_names(text: str, name: str) -> None:
    assert class_name_of(text) == name


@pytest.mark.parametrize(
    ("key", "name"),
    [
        pytest.param("class", "class_", id="keyword"),
        pytest.param("content-type", "content_type", id="dash"),
        pytest.param("model_config", "model_config_", id="pydantic-reserved"),
    ],
)
def test_python_names(key: str, name: str) -> None:
    assert python_name(key) == name
