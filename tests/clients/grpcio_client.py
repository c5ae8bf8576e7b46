"""Drives the running server with Python grpcio, a client nobody on this project wrote.

Usage: grpcio_client.py HOST:PORT

Everything it needs comes from the server itself: the health service, and the message
types of the API from server reflection (grpcio-reflection speaks v1alpha). It prints one
JSON line with what it saw; the Rust test checks the values.
"""

import json
import sys

import grpc
from google.protobuf import descriptor_pool, json_format
from google.protobuf.message_factory import GetMessageClass
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)


def call(channel, pool, method, request_json):
    service, name = method.rsplit("/", 1)
    svc = pool.FindServiceByName(service)
    m = svc.FindMethodByName(name)
    req_cls = GetMessageClass(m.input_type)
    resp_cls = GetMessageClass(m.output_type)
    stub = channel.unary_unary(
        f"/{service}/{name}",
        request_serializer=lambda msg: msg.SerializeToString(),
        response_deserializer=resp_cls.FromString,
    )
    req = json_format.Parse(json.dumps(request_json), req_cls())
    resp = stub(req, timeout=10)
    return json_format.MessageToDict(resp)


def main():
    addr = sys.argv[1]
    out = {}
    with grpc.insecure_channel(addr) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        out["health"] = health_pb2.HealthCheckResponse.ServingStatus.Name(
            health.Check(health_pb2.HealthCheckRequest(service=""), timeout=10).status
        )
        out["health_entitlements"] = health_pb2.HealthCheckResponse.ServingStatus.Name(
            health.Check(
                health_pb2.HealthCheckRequest(service="entitlements.v1.EntitlementService"),
                timeout=10,
            ).status
        )
        db = ProtoReflectionDescriptorDatabase(channel)
        out["services"] = sorted(db.get_services())
        pool = descriptor_pool.DescriptorPool(db)
        out["check"] = call(
            channel,
            pool,
            "entitlements.v1.EntitlementService/CheckEntitlement",
            {
                "account": "accounts/acme",
                "benefit": "onsite_escalation_management",
                "checkTime": "2026-06-01T10:00:00Z",
                # On-site escalation is for a P1 case that cannot be solved remotely.
                "casePriority": "PRIORITY_P1",
                "notSolvableRemotely": True,
            },
        )
        out["deadline"] = call(
            channel,
            pool,
            "entitlements.v1.SlaService/ComputeDeadline",
            {
                "account": "accounts/initech",
                "priority": "PRIORITY_P1",
                "openTime": "2026-12-24T08:30:00Z",
                "milestone": "MILESTONE_FIRST_RESPONSE",
            },
        )
        # A tracked case: created, a first response recorded, read back and listed.
        out["case_created"] = call(
            channel,
            pool,
            "entitlements.v1.CaseService/CreateCase",
            {
                "parent": "accounts/acme",
                "caseId": "py-1",
                "case": {
                    "externalReference": "PY-1",
                    "timeline": {"openTime": "2026-06-01T10:00:00Z", "priority": "PRIORITY_P1"},
                },
            },
        )
        call(
            channel,
            pool,
            "entitlements.v1.CaseService/RecordFirstResponse",
            {"name": "accounts/acme/cases/py-1", "firstResponseTime": "2026-06-01T10:20:00Z"},
        )
        out["case"] = call(
            channel,
            pool,
            "entitlements.v1.CaseService/GetCase",
            {"name": "accounts/acme/cases/py-1", "evaluateTime": "2026-06-01T10:25:00Z"},
        )
        out["cases_listed"] = call(
            channel,
            pool,
            "entitlements.v1.CaseService/ListCases",
            {"parent": "accounts/-", "filter": "state = OPEN"},
        )
        try:
            call(
                channel,
                pool,
                "entitlements.v1.EntitlementService/CheckEntitlement",
                {"account": "accounts/acme", "benefit": "free_lunch"},
            )
            out["bad_benefit"] = "OK"
        except grpc.RpcError as e:
            out["bad_benefit"] = e.code().name
    print(json.dumps(out))


if __name__ == "__main__":
    main()
