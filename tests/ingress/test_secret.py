"""The Secret kind (core/v1), as the API server defaults and validates it.

Source: ``pkg/apis/core/validation`` ``ValidateSecret`` (config-map keys, 1 MiB, typed
secrets' required keys), the v1 conversion of ``stringData``; apimachinery ``IsConfigMapKey``.
"""

from __future__ import annotations

import pytest

from kubelab import Cluster
from kubelab.api import Secret, load_text
from kubelab.errors import ValidationError


def secret(**body) -> Secret:
    s = Secret.from_dict({"metadata": {"name": "s"}, **body})
    s.default()
    return s


def test_string_data_is_merged_into_data_and_wins():
    s = secret(data={"a": "eA==", "b": "eQ=="}, stringData={"b": "new"})
    assert s.data == {"a": "eA==", "b": "bmV3"} and s.string_data == {} and s.type == "Opaque"
    assert s.value("b") == b"new" and s.value("missing") is None


@pytest.mark.parametrize("type_,data,message", [
    ("kubernetes.io/tls", {"tls.crt": "eA=="}, "data[tls.key]: Required value"),
    ("kubernetes.io/dockerconfigjson", {}, "data[.dockerconfigjson]: Required value"),
    ("kubernetes.io/ssh-auth", {}, "data[ssh-privatekey]: Required value"),
    ("Opaque", {"bad key": "eA=="}, "data[bad key]: Invalid value: \"bad key\": a valid config key must consist of "
                                     "alphanumeric characters, '-', '_' or '.'"),
    ("Opaque", {"..x": "eA=="}, "must not start with '..'"),
    ("kubernetes.io/service-account-token", {},
     "metadata.annotations[kubernetes.io/service-account.name]: Required value"),
])
def test_validation_messages(type_, data, message):
    errs = [str(e) for e in secret(type=type_, data=data).validate()]
    assert any(message in e for e in errs), errs


def test_size_limit():
    big = "A" * (4 * 350_000)  # decodes to 1,050,000 bytes, just over 1 MiB
    errs = [str(e) for e in secret(data={"k": big}).validate()]
    assert "data: Too long: must have at most 1048576 bytes" in errs


def test_secret_in_a_cluster_and_its_repr():
    c = Cluster("""
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: shop}
stringData: {password: hunter2}
""")
    s = c.get("secret", "db", "shop")
    assert repr(s) == "Secret(shop/db, type=Opaque, keys=['password'])"
    assert "hunter2" not in repr(s) and "aHVudGVyMg" not in repr(s) and "aHVudGVyMg" not in str(s)


def test_bad_base64_names_the_key_not_the_value():
    with pytest.raises(ValidationError) as exc:
        load_text("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {token: 'abc$def'}\n", source="s.yaml")
    assert str(exc.value) == ("s.yaml: Secret default/s: data[token]: Invalid value: "
                              "illegal base64 data at input byte 3")
