"""The fake X API v2 server cannot drift from the real API: its bodies are checked against
X's OpenAPI spec (../shared/fixtures/x-api-v2/openapi/), and the fields and expansions the
collector asks for are ones the spec lists."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
import requests
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from collectors import x_api
from collectors.x_collect import collect
from tests.conftest import fixture_path
from tests.fake_x_api import FakeXApi, fast_policy, make_dataset, x_territory

SPEC = ("x-api-v2", "openapi", "xdk-latest-openapi.v2.159.json")
ROUTES = {  # spec path -> how the fake's paths look
    "/2/users/by": lambda p: p == "/2/users/by",
    "/2/users/{id}/mentions": lambda p: p.startswith("/2/users/") and p.endswith("/mentions"),
    "/2/users/{id}/tweets": lambda p: p.startswith("/2/users/") and p.endswith("/tweets"),
    "/2/tweets/search/recent": lambda p: p == "/2/tweets/search/recent",
}


@cache
def _spec() -> dict[str, Any]:
    return json.loads(fixture_path(*SPEC).read_text(encoding="utf-8"))


def _validator(ref: str) -> Draft7Validator:
    resource = Resource.from_contents(_spec(), default_specification=DRAFT7)
    registry = Registry().with_resource("urn:x-api", resource)
    return Draft7Validator({"$ref": f"urn:x-api{ref}"}, registry=registry)


def _response_ref(spec_path: str, status: str = "200") -> str:
    op = _spec()["paths"][spec_path]["get"]
    content = op["responses"][status]["content"]
    return content["application/json"]["schema"]["$ref"]


def _schema(name: str) -> dict[str, Any]:
    return _spec()["components"]["schemas"][name]


def _check_known_keys(doc: dict[str, Any]) -> list[str]:
    """Keys of Tweet and User objects that the spec does not list (additionalProperties is
    open in the spec, so jsonschema alone would let an invented field through)."""
    tweet_keys = set(_schema("Tweet")["properties"])
    user_keys = set(_schema("User")["properties"])
    bad = []
    tweets = list(doc.get("data") or []) + list((doc.get("includes") or {}).get("tweets") or [])
    users = list((doc.get("includes") or {}).get("users") or [])
    if tweets and "username" in tweets[0]:  # /2/users/by: data holds users
        users, tweets = tweets, []
    for t in tweets:
        bad += [f"tweet.{k}" for k in set(t) - tweet_keys]
        bad += [
            f"tweet.public_metrics.{k}"
            for k in set(t.get("public_metrics", {}))
            - set(_schema("Tweet")["properties"]["public_metrics"]["properties"])
        ]
    for u in users:
        bad += [f"user.{k}" for k in set(u) - user_keys]
    return bad


@pytest.fixture
def territory():
    return x_territory()


@pytest.fixture
def served(tmp_path, territory):
    """Every response body of a full collection (with partial errors injected) by path."""
    _spec()  # skip early if the spec is absent
    ds = make_dataset(240, city_handles=tuple(territory.handles("x")))
    with FakeXApi(ds.users, ds.all_posts(), token="t0k") as fake:
        fake.inject("partial-errors", "/2/users/", times=1, after=1)
        # one handle X does not know: the users/by answer carries a partial errors[]
        fake.users = {k: v for k, v in fake.users.items() if v["username"] != "vsl_sortir"}
        collect([territory], tmp_path / "w.duckdb", "t0k", base_url=fake.url, policy=fast_policy())
        return list(fake.responses)


def test_every_200_body_matches_the_openapi_spec(served):
    checked = {k: 0 for k in ROUTES}
    for path, status, body in served:
        if status != 200:
            continue
        spec_path = next(k for k, match in ROUTES.items() if match(path))
        doc = json.loads(body)
        errors = sorted(_validator(_response_ref(spec_path)).iter_errors(doc), key=str)
        assert not errors, f"{path}: {errors[0].message} at {list(errors[0].absolute_path)}"
        assert not _check_known_keys(doc), (
            f"{path}: fields not in the spec: {_check_known_keys(doc)}"
        )
        checked[spec_path] += 1
    assert all(checked.values()), f"some endpoints were never served: {checked}"
    bodies = [json.loads(b) for _, s, b in served if s == 200]
    assert any("errors" in b and "data" in b for b in bodies), "no partial errors[] was checked"


def test_error_bodies_match_the_spec_problem_or_error_schemas():
    _spec()
    with FakeXApi(*_tiny()) as fake:
        for kind in ("429", "429-no-reset", "503", "401", "403-not-enrolled"):
            fake.inject(kind)
            r = requests.get(f"{fake.url}/2/users/by", params={"usernames": "a"}, timeout=5)
            doc = r.json()
            errors = list(_validator("#/components/schemas/Problem").iter_errors(doc))
            assert not errors, f"{kind}: {errors[0].message}"
            assert r.status_code == int(kind[:3])
        fake.inject("403-453")
        doc = requests.get(f"{fake.url}/2/users/by", params={"usernames": "a"}, timeout=5).json()
        for err in doc["errors"]:  # the v1.1-style {code, message} of X's 453
            assert not list(_validator("#/components/schemas/Error").iter_errors(err))
        r = requests.get(f"{fake.url}/2/users/1000/mentions", params={"bogus": "1"}, timeout=5)
        assert r.status_code == 400
        assert not list(_validator("#/components/schemas/Problem").iter_errors(r.json()))


def _tiny() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    ds = make_dataset(120)
    return ds.users, ds.all_posts()


def test_the_collector_asks_only_for_fields_and_expansions_the_spec_lists():
    params = _spec()["components"]["parameters"]

    def enum(name: str) -> set[str]:
        return set(params[name]["schema"]["items"]["enum"])

    assert set(x_api.TWEET_FIELDS) <= enum("TweetFieldsParameter")
    assert set(x_api.USER_FIELDS) <= enum("UserFieldsParameter")
    assert set(x_api.TWEET_EXPANSIONS) <= enum("TweetExpansionsParameter")
    for ep in x_api.ENDPOINTS:
        spec_path = ep.path.replace(":id", "{id}")
        assert spec_path in _spec()["paths"], ep.path
    for spec_path in ("/2/users/{id}/mentions", "/2/users/{id}/tweets", "/2/tweets/search/recent"):
        names = {p.get("name") for p in _spec()["paths"][spec_path]["get"]["parameters"]}
        assert {"since_id", "max_results"} <= names


def test_timelines_refuse_next_token_and_search_takes_it():
    with FakeXApi(*_tiny()) as fake:
        r = requests.get(
            f"{fake.url}/2/users/1000/mentions",
            params={"next_token": "abc", "max_results": 5},
            timeout=5,
        )
        assert r.status_code == 400
        r = requests.get(
            f"{fake.url}/2/tweets/search/recent",
            params={"query": "#Villeneuve", "max_results": 10},
            timeout=5,
        )
        assert r.status_code == 200
        token = r.json()["meta"].get("next_token")
        assert token, "the tiny dataset should need a second page of 10"
        r2 = requests.get(
            f"{fake.url}/2/tweets/search/recent",
            params={"query": "#Villeneuve", "max_results": 10, "next_token": token},
            timeout=5,
        )
        first = {t["id"] for t in r.json()["data"]}
        assert r2.status_code == 200 and not first & {t["id"] for t in r2.json().get("data", [])}
        r3 = requests.get(
            f"{fake.url}/2/tweets/search/recent", params={"query": "lang:fr"}, timeout=5
        )
        assert r3.status_code == 400 and "operator" in r3.text
