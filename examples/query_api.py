#!/usr/bin/env python3
"""Query a running NetAssure host: status, alerts (filtered), anomalies, and feedback.

    pip install requests
    python3 examples/query_api.py --api http://127.0.0.1:8080
    python3 examples/query_api.py --status active --severity critical --since 2026-11-22T00:00:00Z
    NETASSURE_OPERATOR_TOKEN=... python3 examples/query_api.py --feedback ALERT_ID --false-positive --notes "planned maintenance"

Feedback needs the operator token (or the admin token): --token, or NETASSURE_OPERATOR_TOKEN.
"""
import argparse
import os
import sys

import requests


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--api", default="http://127.0.0.1:8080", help="base URL of the host")
    parser.add_argument("--status", help="active, acknowledged, resolved or suppressed")
    parser.add_argument("--severity", help="info, warning, minor, major or critical")
    parser.add_argument("--node", help="only alerts about this node")
    parser.add_argument("--since", help="RFC 3339 time, e.g. 2026-11-22T00:00:00Z")
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--feedback", metavar="ALERT_ID", help="label this alert")
    parser.add_argument("--false-positive", action="store_true", help="with --feedback: it was a false positive")
    parser.add_argument("--notes", help="with --feedback: free text")
    parser.add_argument("--token", default=os.environ.get("NETASSURE_OPERATOR_TOKEN"),
                        help="with --feedback: the operator token (default: $NETASSURE_OPERATOR_TOKEN)")
    args = parser.parse_args()
    api = args.api.rstrip("/")

    status = requests.get(f"{api}/status", timeout=10).json()
    print(f"host {status['version']}: {status['plugins']['enabled']} plugins enabled, "
          f"{status['pipeline']['events_received']} events, topology v{status['topology']['version']} "
          f"({status['topology']['nodes']} nodes, {status['topology']['links']} links)")

    if args.feedback:
        body = {"is_false_positive": args.false_positive, "notes": args.notes}
        if not args.token:
            sys.exit("feedback needs the operator token: --token or NETASSURE_OPERATOR_TOKEN")
        answer = requests.post(f"{api}/alerts/{args.feedback}/feedback", json=body, timeout=10,
                               headers={"Authorization": f"Bearer {args.token}"})
        if answer.status_code != 200:
            error = answer.json()
            sys.exit(f"feedback refused ({answer.status_code} {error['error']}): {error['detail']}")
        alert = answer.json()
        print(f"alert {alert['alert_id']} is now {alert['status']}; feedback {alert['feedback']}")
        return

    params = {k: v for k, v in {"status": args.status, "severity": args.severity, "node": args.node,
                                "since": args.since, "limit": args.limit}.items() if v is not None}
    answer = requests.get(f"{api}/alerts", params=params, timeout=10)
    if answer.status_code != 200:
        error = answer.json()
        sys.exit(f"query refused ({answer.status_code} {error['error']}): {error['detail']}")
    alerts = answer.json()
    print(f"\n{len(alerts)} alerts")
    for alert in alerts:
        print(f"  {alert['created_at']}  {alert['severity']:<8} {alert['status']:<12} "
              f"{alert['node_id'] or '-':<12} x{alert['count']}  {alert['message']}  [{alert['alert_id']}]")

    anomalies = requests.get(f"{api}/anomalies", params={"limit": args.limit, "since": args.since} if args.since else {"limit": args.limit}, timeout=10).json()
    print(f"\n{len(anomalies)} anomalies")
    for anomaly in anomalies:
        nodes = ",".join(anomaly["contributing_node_ids"])
        print(f"  {anomaly['detected_at']}  {anomaly['kind']:<22} score {anomaly['score']:.2f}  "
              f"{anomaly['stage']:<18} {nodes}  [{anomaly['anomaly_id']}]")


if __name__ == "__main__":
    main()
