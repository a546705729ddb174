"""Every file under deploy/ parses, and the Kubernetes manifests are valid, complete objects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from kubernetes_validate import utils as kubernetes_schemas

from tests.unit.deploy.artefacts import DEPLOY, K8S, env_file, k8s_manifests, k8s_object, load_yaml

# Objects of CRDs the validator has no schema for; their fields are checked by other tests.
CUSTOM_KINDS = {("keda.sh/v1alpha1", "ScaledObject")}
# Not applied with the rest (see the comments in kustomization.yaml).
APPLIED_SEPARATELY = {"secret.template.yaml", "worker-scaledobject.yaml"}


def _files(*patterns: str) -> list[Path]:
    return sorted(path for pattern in patterns for path in DEPLOY.rglob(pattern))


@pytest.mark.parametrize(
    "path", _files("*.yml", "*.yaml"), ids=lambda p: str(p.relative_to(DEPLOY))
)
def test_yaml_file_parses(path: Path) -> None:
    documents = list(yaml.safe_load_all(path.read_text()))
    assert documents
    assert all(isinstance(document, dict) for document in documents)


@pytest.mark.parametrize("path", _files("*.json"), ids=lambda p: str(p.relative_to(DEPLOY)))
def test_json_file_parses(path: Path) -> None:
    assert isinstance(json.loads(path.read_text()), dict)


@pytest.mark.parametrize("path", _files("*.env"), ids=lambda p: str(p.relative_to(DEPLOY)))
def test_env_file_is_key_value_lines(path: Path) -> None:
    variables = env_file(path)
    assert variables
    assert all(key.isupper() and key.replace("_", "").isalnum() for key in variables)


@pytest.mark.parametrize("path", k8s_manifests(), ids=lambda p: p.name)
def test_k8s_file_holds_one_named_object_without_namespace(path: Path) -> None:
    documents = list(yaml.safe_load_all(path.read_text()))
    assert len(documents) == 1
    (manifest,) = documents
    assert manifest["apiVersion"]
    assert manifest["kind"]
    assert manifest["metadata"]["name"].startswith("flexmit-")
    assert "namespace" not in manifest["metadata"], "the namespace is chosen at apply time"


def _schema_versions() -> list[str]:
    versions: list[str] = kubernetes_schemas.all_versions()
    return [versions[0], versions[-1]]


@pytest.mark.parametrize("version", _schema_versions())
@pytest.mark.parametrize("path", k8s_manifests(), ids=lambda p: p.name)
def test_k8s_object_matches_the_api_schema(path: Path, version: str) -> None:
    manifest: dict[str, Any] = load_yaml(path)
    if (manifest["apiVersion"], manifest["kind"]) in CUSTOM_KINDS:
        with pytest.raises(kubernetes_validate.SchemaNotFoundError):
            kubernetes_validate.validate(manifest, version, strict=True)
        return
    # strict: an unknown (e.g. misspelt) field is an error, not silently dropped by the API.
    kubernetes_validate.validate(manifest, version, strict=True)


def test_kustomization_applies_every_manifest_but_the_template_and_the_crd() -> None:
    kustomization = load_yaml(K8S / "kustomization.yaml")
    listed = set(kustomization["resources"])
    assert listed == {p.name for p in k8s_manifests()} - APPLIED_SEPARATELY
    assert "namespace" not in kustomization


def test_kustomization_sets_the_image_the_deployments_name() -> None:
    (image,) = load_yaml(K8S / "kustomization.yaml")["images"]
    for name in ("worker-deployment", "webhooks-deployment"):
        containers = k8s_object(name)["spec"]["template"]["spec"]["containers"]
        assert [c["image"] for c in containers] == [image["name"]]


def test_secret_template_holds_only_placeholders() -> None:
    secret = k8s_object("secret.template")
    assert set(secret["stringData"]) == {
        "FLEXMIT_FLEX__APP_KEY",
        "FLEXMIT_FLEX__APP_SECRET",
        "FLEXMIT_WEBHOOKS__SUBSCRIBER_KEYS",
        "FLEXMIT_STORE__URL",
    }
    # The keys' placeholder must itself be base64, or the receiver refuses to start on it.
    placeholders = ("REPLACE_ME", "REPLACE/ME")
    values = secret["stringData"].values()
    assert all(any(mark in value for mark in placeholders) for value in values)
    assert "data" not in secret


@pytest.mark.parametrize("name", ["worker-deployment", "webhooks-deployment"])
def test_secrets_reach_containers_only_by_reference_to_the_template(name: str) -> None:
    keys = set(k8s_object("secret.template")["stringData"])
    for container in k8s_object(name)["spec"]["template"]["spec"]["containers"]:
        for entry in container["env"]:
            reference = entry["valueFrom"]["secretKeyRef"]
            assert reference["name"] == "flexmit-secrets"
            assert reference["key"] == entry["name"]
            assert reference["key"] in keys
