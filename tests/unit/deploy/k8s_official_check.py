"""Checks rendered Kubernetes objects against the official API types.

Usage: /usr/bin/python3 k8s_official_check.py [FILE...]   (no FILE: stdin)

Each input holds one JSON object or a JSON list of objects. The types come
from Debian's python3-kubernetes: its model classes are generated from the
official OpenAPI document of the Kubernetes API, each with `openapi_types`
(python field -> type: `V1ObjectMeta`, `list[V1Container]`,
`dict(str, str)`, `int`, `str`, `bool`, `object`, ...) and `attribute_map`
(python field -> JSON key).

The kind picks the model: apps/v1 Deployment -> V1Deployment, v1 Service
-> V1Service, v1 Namespace -> V1Namespace. LeaderWorkerSet and Dataset are
custom resources the client does not know: their metadata is checked as
V1ObjectMeta and a LeaderWorkerSet's leaderTemplate and workerTemplate as
V1PodTemplateSpec (the rest of those objects is checked by the CRD schemas
in the C++ tests).

Each object is walked by the types: a key the type does not know is an
error (the API server would prune or refuse it), so is a value of the wrong
JSON type (`object` accepts anything: IntOrString and free-form fields are
typed so). Required fields are found by building each model with the
client's client-side validation on, and the whole object is then built once
through the client's own deserializer as a cross-check. Every error is
printed as `where: $.json.path: what`; the exit status is 0 when there is
none, 1 when there is any, 2 for unreadable input and 3 when
python3-kubernetes is missing.
"""
import json
import re
import sys

try:
    import kubernetes.client
    from kubernetes.client import ApiClient, Configuration
    from kubernetes.client import models
except ImportError as e:  # the project's deps install it: a test must fail, not skip
    print("k8s_official_check: python3-kubernetes is not installed for %s (%s); "
          "install it with scripts/install-deps.sh (apt-get install python3-kubernetes)"
          % (sys.executable, e), file=sys.stderr)
    sys.exit(3)

KINDS = {
    ("apps/v1", "Deployment"): "V1Deployment",
    ("v1", "Service"): "V1Service",
    ("v1", "Namespace"): "V1Namespace",
}
LWS_API = "leaderworkerset.x-k8s.io/v1"
DATASET_API = "dataset.baizeai.io/v1alpha1"
MISSING_RE = re.compile(r"Invalid value for `([A-Za-z0-9_]+)`, must not be `None`")


def json_type(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


class Checker:
    def __init__(self):
        self.errors = []

    def err(self, path, what):
        self.errors.append("%s: %s" % (path, what))

    def walk(self, value, type_name, path):
        """Checks value (parsed JSON) against an openapi_types type string."""
        if value is None:
            return  # null is an absent field; required ones are caught by the model check
        m = re.match(r"list\[(.*)\]$", type_name)
        if m:
            if not isinstance(value, list):
                return self.err(path, "must be an array (%s), got %s" % (type_name, json_type(value)))
            for i, item in enumerate(value):
                self.walk(item, m.group(1), "%s[%d]" % (path, i))
            return
        m = re.match(r"dict\(([^,]*), (.*)\)$", type_name)
        if m:
            if not isinstance(value, dict):
                return self.err(path, "must be an object (%s), got %s" % (type_name, json_type(value)))
            for k, v in value.items():
                self.walk(v, m.group(2), "%s[%s]" % (path, json.dumps(k)))
            return
        if type_name == "object":
            return
        if type_name == "int":
            if json_type(value) != "integer":
                self.err(path, "must be an integer, got %s" % json_type(value))
            elif not -(2 ** 63) <= value < 2 ** 63:
                self.err(path, "out of int64 range")
            return
        if type_name == "float":
            if json_type(value) not in ("integer", "number"):
                self.err(path, "must be a number, got %s" % json_type(value))
            return
        if type_name == "str":
            if not isinstance(value, str):
                self.err(path, "must be a string, got %s" % json_type(value))
            return
        if type_name == "bool":
            if not isinstance(value, bool):
                self.err(path, "must be a boolean, got %s" % json_type(value))
            return
        if type_name in ("datetime", "date"):
            if not isinstance(value, str):
                self.err(path, "must be a %s string, got %s" % (type_name, json_type(value)))
            return
        klass = getattr(models, type_name, None)
        if klass is None:
            return self.err(path, "the client has no type %s" % type_name)
        self.walk_model(value, klass, path)

    def walk_model(self, value, klass, path):
        if not isinstance(value, dict):
            return self.err(path, "must be an object (%s), got %s" % (klass.__name__, json_type(value)))
        by_json = {j: attr for attr, j in klass.attribute_map.items()}
        for key, v in value.items():
            attr = by_json.get(key)
            if attr is None:
                self.err("%s.%s" % (path, key), "unknown field of %s" % klass.__name__)
                continue
            self.walk(v, klass.openapi_types[attr], "%s.%s" % (path, key))
        self.check_required(value, klass, path, by_json)

    def check_required(self, value, klass, path, by_json):
        """Builds klass with client-side validation on to learn its required fields.

        The model's setters refuse None for a required field (and check the
        few patterns the spec carries); each refusal names one field, so the
        model is built again with that field filled until it builds.
        """
        config = Configuration()
        config.client_side_validation = True
        kwargs = {}
        for key, v in value.items():
            attr = by_json.get(key)
            if attr is None or v is None:
                continue
            # Strings as they are (patterns are checked on them); anything
            # else as a stand-in: its own type was checked by the walk.
            kwargs[attr] = v if isinstance(v, str) else object()
        for _ in range(len(klass.openapi_types) + 1):
            try:
                klass(local_vars_configuration=config, **kwargs)
                return
            except ValueError as e:
                m = MISSING_RE.search(str(e))
                if not m or m.group(1) in kwargs:
                    return self.err(path, "%s: %s" % (klass.__name__, e))
                self.err("%s.%s" % (path, klass.attribute_map[m.group(1)]),
                         "missing required field of %s" % klass.__name__)
                kwargs[m.group(1)] = object()

    def deserialize(self, value, type_name, path):
        """Builds the object through the client's own deserializer."""
        config = Configuration()
        config.client_side_validation = True
        try:
            ApiClient(configuration=config)._ApiClient__deserialize(value, type_name)
        except Exception as e:  # noqa: BLE001 - any failure is a finding
            self.err(path, "the client's deserializer refuses it as %s: %s: %s"
                     % (type_name, type(e).__name__, e))

    def check(self, obj, path="$"):
        if not isinstance(obj, dict):
            return self.err(path, "must be an object, got %s" % json_type(obj))
        api, kind = obj.get("apiVersion"), obj.get("kind")
        type_name = KINDS.get((api, kind))
        if type_name:
            before = len(self.errors)
            self.walk(obj, type_name, path)
            if len(self.errors) == before:
                self.deserialize(obj, type_name, path)
            return
        if (api, kind) in ((LWS_API, "LeaderWorkerSet"), (DATASET_API, "Dataset")):
            if "metadata" not in obj:
                self.err(path + ".metadata", "missing")
            self.walk(obj.get("metadata"), "V1ObjectMeta", path + ".metadata")
            if kind == "LeaderWorkerSet":
                lwt = ((obj.get("spec") or {}).get("leaderWorkerTemplate")) or {}
                at = path + ".spec.leaderWorkerTemplate"
                if "workerTemplate" not in lwt:
                    self.err(at + ".workerTemplate", "missing required field")
                for key in ("leaderTemplate", "workerTemplate"):
                    if key in lwt:
                        before = len(self.errors)
                        self.walk(lwt[key], "V1PodTemplateSpec", "%s.%s" % (at, key))
                        if len(self.errors) == before:
                            self.deserialize(lwt[key], "V1PodTemplateSpec", "%s.%s" % (at, key))
            return
        self.err(path, "no official type for apiVersion %r kind %r" % (api, kind))


def main(argv):
    inputs = argv[1:] or ["-"]
    failed = False
    for name in inputs:
        try:
            text = sys.stdin.read() if name == "-" else open(name, encoding="utf-8").read()
            doc = json.loads(text)
        except (OSError, ValueError) as e:
            print("%s: cannot read JSON: %s" % (name, e), file=sys.stderr)
            return 2
        objs = doc if isinstance(doc, list) else [doc]
        for i, obj in enumerate(objs):
            c = Checker()
            c.check(obj)
            where = name if len(objs) == 1 else "%s[%d]" % (name, i)
            if isinstance(obj, dict):
                meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
                where += " %s/%s" % (obj.get("kind"), meta.get("name"))
            for e in c.errors:
                print("%s: %s" % (where, e))
            failed |= bool(c.errors)
    if not failed:
        print("k8s_official_check: %d input(s) valid against kubernetes client %s"
              % (len(inputs), kubernetes.__version__))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
