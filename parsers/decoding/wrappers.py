"""Records that shippers and platforms batch or encode: read as the log records they carry.

- OpenTelemetry OTLP/JSON: `resourceLogs[].scopeLogs[].logRecords[]`, each with its resource's
  attributes; attribute lists `[{"key": ..., "value": {"stringValue": ...}}]` and AnyValues
  (`kvlistValue`, `arrayValue`, `intValue`, ...) read as plain objects and values;
- AWS CloudWatch Logs subscription batches: `logEvents[]`, each with its log group;
- Grafana Loki push requests: `streams[].values[]` (`[time, line]`), each with its labels.

Each record of a batch is an envelope of its own (parsers/general.py): a status, a time or a
trace id of one record is never another's.
"""

from __future__ import annotations

from typing import Any

MAX_RECORDS = 256
_ANY_VALUES = frozenset(
    {"stringValue", "intValue", "boolValue", "doubleValue", "bytesValue"}
    | {"kvlistValue", "arrayValue"}
)


def any_value(value: Any) -> Any:
    """An OTLP AnyValue as a plain value (other values as they are)."""
    if value.__class__ is not dict or len(value) != 1:
        return value
    kind, inner = next(iter(value.items()))
    if kind not in _ANY_VALUES:
        return value
    if kind == "intValue":
        if inner.__class__ is str and inner.lstrip("-").isdigit():
            return int(inner)
        return inner
    if kind == "kvlistValue":
        pairs = key_values((inner or {}).get("values") or [])
        return pairs if pairs is not None else {}
    if kind == "arrayValue":
        return [any_value(item) for item in (inner or {}).get("values") or []]
    return inner


def key_values(items: list[Any]) -> dict[str, Any] | None:
    """`[{"key": k, "value": v}, ...]` (OTLP attributes) as `{k: v}`; None for other lists."""
    first = items[0] if items else None
    if first.__class__ is not dict or "key" not in first or len(first) != 2 or "value" not in first:
        return None
    pairs: dict[str, Any] = {}
    for item in items[:MAX_RECORDS]:
        if item.__class__ is not dict or item.keys() != {"key", "value"}:
            return None
        key = item["key"]
        if key.__class__ is str:
            pairs.setdefault(key, any_value(item["value"]))
    return pairs


def batch_records(obj: Any) -> list[dict[str, Any]] | None:
    """The log records a batch carries, each with its batch's context; None for a record that
    is no batch."""
    if obj.__class__ is not dict:
        return None
    if "resourceLogs" in obj:
        return _otlp(obj["resourceLogs"])
    if "logEvents" in obj and "logGroup" in obj:
        return _cloudwatch(obj)
    if "streams" in obj and obj["streams"].__class__ is list:
        return _loki(obj["streams"])
    return None


def _otlp(resource_logs: Any) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for resource_log in _dicts(resource_logs):
        attributes = (resource_log.get("resource") or {}).get("attributes")
        resource = key_values(attributes) if attributes.__class__ is list else None
        scopes = resource_log.get("scopeLogs") or resource_log.get("instrumentationLibraryLogs")
        for scope_log in _dicts(scopes):
            scope = scope_log.get("scope") or scope_log.get("instrumentationLibrary") or {}
            for log in _dicts(scope_log.get("logRecords")):
                record = {key: value for key, value in log.items() if key != "attributes"}
                if "body" in record:
                    record["body"] = any_value(record["body"])
                attributes = log.get("attributes")
                if attributes.__class__ is list:
                    record["attributes"] = key_values(attributes) or {}
                if scope.__class__ is dict and scope.get("name").__class__ is str:
                    record["logger"] = scope["name"]  # the instrumentation scope: a logger name
                if resource:
                    record["resource"] = resource
                records.append(record)
                if len(records) >= MAX_RECORDS:
                    return records
    return records


def _cloudwatch(obj: dict[str, Any]) -> list[dict[str, Any]]:
    group = obj.get("logGroup")
    context: dict[str, Any] = {"logGroup": group, "logStream": obj.get("logStream")}
    if group.__class__ is str and group.startswith("/aws/lambda/"):
        context["faas.name"] = group[len("/aws/lambda/") :]  # the function: its service
    records = []
    for event in _dicts(obj.get("logEvents"))[:MAX_RECORDS]:
        records.append({**event, **context})
    return records


def _loki(streams: list[Any]) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for stream in _dicts(streams):
        labels = stream.get("stream") or stream.get("labels") or {}
        for value in stream.get("values") or ():
            if value.__class__ is list and len(value) >= 2 and value[1].__class__ is str:
                records.append({"ts": value[0], "log": value[1], "stream": labels})
                if len(records) >= MAX_RECORDS:
                    return records
    return records


def _dicts(items: Any) -> list[dict[str, Any]]:
    if items.__class__ is not list:
        return []
    return [item for item in items if item.__class__ is dict]
