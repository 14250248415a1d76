#!/usr/bin/env python3
"""gen-validation.py: generate the model-driven conformance cases from the API model.

Reads fixtures/kinesis-api/service-2.json and writes, per operation:
  fixtures/conformance/validation/<Operation>.json  one case per constraint the model states on a
      top-level input member (required, length min/max, pattern, value min/max, enum, list and
      map sizes): the call breaks exactly that rule and must get 400 ValidationException naming
      the member (lowerCamel) and the constraint, in AWS's wording (docs/aws-behaviour.md,
      "Wire protocol"). Each case's source is the model member it breaks ("model: <InputShape>.<Member>").
  fixtures/conformance/gaps/<Operation>.json  for operations kinesis-sim does not implement yet
      (UNIMPLEMENTED below): a valid call gets UnknownOperationException; tagged sim + gap so
      reports show the gap. Delete the operation from UNIMPLEMENTED when it lands.
The output is checked in; `make test` never runs this script. Run from the repository root:
  python3 conformance/tools/gen-validation.py
"""
import json
import os
import re
import sys

UNIMPLEMENTED = []

# Valid values for members whose shape needs more than the generic rule.
VALID_BY_SHAPE = {
    "StreamName": "${stream}",
    "StreamARN": "arn:aws:kinesis:${region}:000000000000:stream/${stream}",
    "ResourceARN": "arn:aws:kinesis:${region}:000000000000:stream/${stream}",
    "ConsumerARN": "arn:aws:kinesis:${region}:000000000000:stream/${stream}/consumer/c:1",
    "StreamId": "abcdefghij0123456789-abc",
    "ShardId": "shardId-000000000000",
    "HashKey": "1",
    "SequenceNumber": "1",
    "PartitionKey": "pk",
    "Data": "eA==",
    "ShardIterator": "AAAAAAAAAAE=",
    "ConsumerName": "c",
    "KeyId": "alias/aws/kinesis",
    "Policy": "{}",
    "TagKey": "k",
    "TagValue": "v",
    "NextToken": "token",
}

NOT_MATCHING = ["!!", "a b", " ", "arn:aws:kinesis:x:1:stream/x"]


def camel(name):
    return name[0].lower() + name[1:]


def valid_value(shapes, shape_name, depth=0):
    if shape_name in VALID_BY_SHAPE:
        return VALID_BY_SHAPE[shape_name]
    s = shapes[shape_name]
    t = s["type"]
    if t == "string":
        if "enum" in s:
            return s["enum"][0]
        return "a" * max(1, s.get("min", 1))
    if t in ("integer", "long"):
        lo = s.get("min", 1)
        return max(lo, 1) if s.get("max", 10 ** 9) >= 1 else lo
    if t == "boolean":
        return False
    if t == "timestamp":
        return 1500000000
    if t == "blob":
        return "eA=="
    if t == "list":
        return [valid_value(shapes, s["member"]["shape"], depth + 1) for _ in range(max(1, s.get("min", 1)))]
    if t == "map":
        return {"k": valid_value(shapes, s["value"]["shape"], depth + 1)}
    if t == "structure":
        return {m: valid_value(shapes, s["members"][m]["shape"], depth + 1) for m in s.get("required", [])}
    raise ValueError(t)


def too_long(s):
    """A value one character over the shape's max that still satisfies its pattern, so only one rule breaks."""
    n = s["max"] + 1
    templates = ["", "arn:aws:kinesis:us-east-1:000000000000:stream/",
                 "arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/%s:1"]
    for t in templates:
        if "%s" in t:
            v = t % ("a" * (n - len(t) + 2))
        else:
            v = t + "a" * (n - len(t))
        if len(v) == n and ("pattern" not in s or re.fullmatch(s["pattern"], v)):
            return v
    return "a" * n


def cases_for(op, model):
    shapes = model["shapes"]
    inp = model["operations"][op].get("input")
    if not inp:
        return []
    shape = shapes[inp["shape"]]
    required = shape.get("required", [])
    base = {m: valid_value(shapes, shape["members"][m]["shape"]) for m in required}
    # a stream name for operations that take one, so only the broken rule is wrong
    if "StreamName" in shape["members"] and "StreamName" not in base and "StreamARN" not in base:
        base["StreamName"] = "${stream}"
    out = []

    def add(name, body, member, constraint, description, long_value=False):
        expect = {"status": 400, "error": "ValidationException"}
        if not long_value:
            # AWS quotes the offending value in the message; for very long values only the error is checked
            expect["message_re"] = (re.escape("at '%s' failed to satisfy constraint: %s" % (camel(member), constraint))
                                    .replace("\\ ", " ").replace("\\'", "'").replace("\\:", ":"))
        out.append({"name": name, "description": description,
                    "source": "model: %s.%s" % (inp["shape"], member),
                    "steps": [{"op": op, "body": body, "expect": expect}]})

    for member in required:
        body = {k: v for k, v in base.items() if k != member}
        add("%s-missing" % camel(member), body, member, "Member must not be null",
            "%s without the required %s" % (op, member))
    for member, ref in shape["members"].items():
        s = shapes[ref["shape"]]
        t = s["type"]
        if member == "StreamId":
            continue  # routing member, validated by the service's endpoint layer rather than the JSON API
        good = dict(base)
        if member in ("StreamName", "StreamARN") and member not in required:
            good.pop("StreamName" if member == "StreamARN" else "StreamARN", None)
        if t == "string" and "enum" not in s:
            if s.get("min", 0) >= 1:
                add("%s-too-short" % camel(member), dict(good, **{member: ""}), member,
                    "Member must have length greater than or equal to %d" % s["min"],
                    "%s with an empty %s (min length %d)" % (op, member, s["min"]))
            if "max" in s and s["max"] <= 4096:
                add("%s-too-long" % camel(member), dict(good, **{member: too_long(s)}),
                    member, "Member must have length less than or equal to %d" % s["max"],
                    "%s with a %s of %d characters (max %d)" % (op, member, s["max"] + 1, s["max"]),
                    long_value=s["max"] > 256)
            if "pattern" in s:
                bad = next((v for v in NOT_MATCHING if not re.fullmatch(s["pattern"], v)
                            and s.get("min", 0) <= len(v) <= s.get("max", 10 ** 9)), None)
                if bad is not None:
                    add("%s-pattern" % camel(member), dict(good, **{member: bad}), member,
                        "Member must satisfy regular expression pattern: %s" % s["pattern"],
                        "%s with %s '%s' outside the pattern %s" % (op, member, bad, s["pattern"]))
        elif t == "string" and "enum" in s:
            add("%s-enum" % camel(member), dict(good, **{member: "NOT_A_VALUE"}), member,
                "Member must satisfy enum value set: ",
                "%s with %s outside its enum %s" % (op, member, s["enum"]))
        elif t in ("integer", "long"):
            if "min" in s:
                add("%s-below-min" % camel(member), dict(good, **{member: s["min"] - 1}), member,
                    "Member must have value greater than or equal to %d" % s["min"],
                    "%s with %s %d (min %d)" % (op, member, s["min"] - 1, s["min"]))
            if "max" in s:
                add("%s-above-max" % camel(member), dict(good, **{member: s["max"] + 1}), member,
                    "Member must have value less than or equal to %d" % s["max"],
                    "%s with %s %d (max %d)" % (op, member, s["max"] + 1, s["max"]))
        elif t in ("list", "map"):
            if s.get("min", 0) >= 1:
                add("%s-empty" % camel(member), dict(good, **{member: [] if t == "list" else {}}), member,
                    "Member must have length greater than or equal to %d" % s["min"],
                    "%s with an empty %s (min %d)" % (op, member, s["min"]))
            if "max" in s and s["max"] <= 1000:
                if t == "list":
                    one = valid_value(shapes, s["member"]["shape"])
                    big = [one for _ in range(s["max"] + 1)]
                else:
                    big = {"k%d" % k: valid_value(shapes, s["value"]["shape"]) for k in range(s["max"] + 1)}
                add("%s-too-many" % camel(member), dict(good, **{member: big}), member,
                    "Member must have length less than or equal to %d" % s["max"],
                    "%s with %d entries in %s (max %d)" % (op, s["max"] + 1, member, s["max"]),
                    long_value=s["max"] > 20)
    return out


def gap_case(op, model):
    shapes = model["shapes"]
    inp = model["operations"][op].get("input")
    body = {}
    if inp:
        shape = shapes[inp["shape"]]
        body = {m: valid_value(shapes, shape["members"][m]["shape"]) for m in shape.get("required", [])}
        if "StreamName" in shape["members"] and "StreamARN" not in body:
            body["StreamName"] = "${stream}"
    return {
        "description": "kinesis-sim does not implement %s yet: a valid call is refused as an unknown operation. "
                       "Generated by conformance/tools/gen-validation.py; remove %s from UNIMPLEMENTED there when "
                       "it lands." % (op, op),
        "tags": ["sim", "gap"],
        "gap": "kinesis-sim does not implement %s yet" % op,
        "steps": [{"op": op, "body": body, "expect": {
            "status": 400, "error": "UnknownOperationException",
            "message": "kinesis-sim does not implement %s yet" % op}}],
    }


def write(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=False)
        f.write("\n")


def main():
    model = json.load(open("fixtures/kinesis-api/service-2.json"))
    total = 0
    for op in sorted(model["operations"]):
        cases = cases_for(op, model)
        if cases:
            write("fixtures/conformance/validation/%s.json" % op, {
                "description": "Input validation of %s from the API model's constraints (generated by "
                               "conformance/tools/gen-validation.py; do not edit by hand)." % op,
                "tags": ["aws", "validation"],
                "cases": cases})
            total += len(cases)
    for op in UNIMPLEMENTED:
        write("fixtures/conformance/gaps/%s.json" % op, gap_case(op, model))
    print("%d validation cases, %d gap cases" % (total, len(UNIMPLEMENTED)), file=sys.stderr)


if __name__ == "__main__":
    main()
