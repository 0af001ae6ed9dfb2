"""Graded Gateway API questions (kubelab.grading.gateway): the solution passes, a blank fails, wrong answers fail
with feedback that says what and where it is taught, without a traceback and without the whole answer.

The scenario is ``kubelab/data/manifests/gateway-shop.yaml``, the one notebook 07 shows and a03 asks about.
"""

from __future__ import annotations

import re
import pytest

from kubelab import Cluster
from kubelab.examples import manifest
from kubelab.grading import WrongAnswer, check_gateway_routes, check_reference_grant, check_route_acceptance

SHOP = manifest("gateway-shop")
GW = "infra/shared"
REQUESTS = ["http://shop.example.com/cart", "http://shop.example.com/cart/",
            "GET http://shop.example.com/api/items x-version=2", "http://shop.example.com/old-shop/shoes?size=42",
            "http://shop.example.com/stock", "http://blog.example.com/", "http://shop.example.com/API"]
SOLUTION_ROUTES = {
    "http://shop.example.com/cart": "shop/cart:8080",
    "http://shop.example.com/cart/": "shop/web:80",
    "GET http://shop.example.com/api/items x-version=2": "shop/api-v2:8080",
    "http://shop.example.com/old-shop/shoes?size=42": "302 https://shop.example.com/shoes?size=42",
    "http://shop.example.com/stock": "500",
    "http://blog.example.com/": "404",
    "http://shop.example.com/API": "shop/web:80",
}
SOLUTION_ACCEPTANCE = {"shop/store": "RefNotPermitted", "blog/blog": "NotAllowedByListeners",
                       "shop/legacy": "NoMatchingListenerHostname"}
SOLUTION_GRANT = """
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: shop-to-inventory, namespace: data}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: shop}]
  to: [{group: "", kind: Service, name: inventory}]
"""


@pytest.fixture(scope="module")
def shop():
    return Cluster(SHOP)


def _feedback(fn, *args) -> str:
    with pytest.raises(WrongAnswer) as err:
        fn(*args)
    text = str(err.value)
    assert "Traceback" not in text
    assert "(Taught in notebooks/07-ingress.ipynb, section " in text  # every message says where it is taught
    return text


def test_solutions_pass(shop):
    check_gateway_routes(SOLUTION_ROUTES, shop, GW, REQUESTS)
    check_route_acceptance(SOLUTION_ACCEPTANCE, shop)
    check_reference_grant(SOLUTION_GRANT, shop, GW, "http://shop.example.com/stock", "data/inventory:5000")


@pytest.mark.parametrize("blank", [None, ..., "", {}])
def test_blank_answers_fail(shop, blank):
    for fn, args in ((check_gateway_routes, (shop, GW, REQUESTS)), (check_route_acceptance, (shop,)),
                     (check_reference_grant, (shop, GW, "http://shop.example.com/stock", "data/inventory:5000"))):
        with pytest.raises(WrongAnswer):
            fn(blank, *args)


@pytest.mark.parametrize("request_,wrong,why", [
    ("http://shop.example.com/cart/", "shop/cart:8080", "trailing slash"),  # Exact compares the whole path
    ("http://shop.example.com/stock", "404", "RefNotPermitted"),  # a matched rule with a bad backend is 500
    ("http://blog.example.com/", "blog/blog:80", "allowed to attach"),  # the blog route may not attach
    ("http://shop.example.com/old-shop/shoes?size=42", "302 https://shop.example.com:80/shoes?size=42",
     "default port"),
    ("GET http://shop.example.com/api/items x-version=2", "shop/api:8080", "more specific rule wins"),
    ("http://shop.example.com/API", "shop/api:8080", "does not match"),  # paths are case-sensitive
])
def test_plausible_wrong_routes_lose_points(shop, request_, wrong, why):
    text = _feedback(check_gateway_routes, {**SOLUTION_ROUTES, request_: wrong}, shop, GW, REQUESTS)
    assert request_ in text and why in text
    rest = text.split(f"{request_} is not")[1]
    assert not re.search(rf"(?<![\w.:/]){re.escape(SOLUTION_ROUTES[request_])}(?![\w])", rest)  # not given away


@pytest.mark.parametrize("route,wrong", [("blog/blog", "Accepted"), ("shop/store", "Accepted"),
                                         ("shop/legacy", "NotAllowedByListeners")])
def test_wrong_acceptance_loses_points(shop, route, wrong):
    text = _feedback(check_route_acceptance, {**SOLUTION_ACCEPTANCE, route: wrong}, shop)
    assert route in text and SOLUTION_ACCEPTANCE[route] in text


@pytest.mark.parametrize("wrong,why", [
    (SOLUTION_GRANT.replace("namespace: data}", "namespace: shop}"), "lives in the namespace"),  # grant beside route
    (SOLUTION_GRANT.replace("namespace: shop}]", "namespace: blog}]"), "answers 500"),  # wrong source namespace
    (SOLUTION_GRANT.replace("kind: HTTPRoute", "kind: Gateway"), "answers 500"),  # wrong source kind
    (SOLUTION_GRANT.replace(", name: inventory}", "}"), "every Service"),  # too broad
    ("kind: [ReferenceGrant", "not valid YAML"),
])
def test_wrong_grants_lose_points(shop, wrong, why):
    text = _feedback(check_reference_grant, wrong, shop, GW, "http://shop.example.com/stock", "data/inventory:5000")
    assert why in text


def test_the_learners_cluster_is_left_alone(shop):
    check_reference_grant(SOLUTION_GRANT, shop, GW, "http://shop.example.com/stock", "data/inventory:5000")
    assert shop.list("ReferenceGrant") == []
