#!/usr/bin/env python3
"""Reads an order-service topic from the beginning with confluent-kafka, as a consumer in another
language would, and checks what the contract promises of every record, whoever published it (the
relay or Debezium): the key is the aggregate id (= ce_subject), the CloudEvents headers are there,
and each key's sequence runs 1, 2, 3, ... with repeats only as exact repeats of the same event.

    python3 -m venv .venv && .venv/bin/pip install confluent-kafka
    .venv/bin/python scripts/consumers/check_topic.py 127.0.0.1:9092 orders.v1

Exits 1 and names what is wrong when a check fails.
"""
import sys
import uuid

from confluent_kafka import Consumer, TopicPartition

REQUIRED = ["ce_specversion", "ce_id", "ce_type", "ce_source", "ce_time", "ce_subject",
            "ce_dataschema", "content-type", "ce_sequence", "ce_sequencetype"]


def records(brokers, topic):
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": f"check-{uuid.uuid4()}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions}
    consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
    done = {p for p, end in ends.items() if end == 0}
    while len(done) < len(ends):
        message = consumer.poll(5)
        if message is None:
            break
        if message.error():
            raise RuntimeError(message.error())
        yield message
        if message.offset() + 1 >= ends[message.partition()]:
            done.add(message.partition())
    consumer.close()


def main(brokers, topic):
    problems, seen, streams, repeats, total = [], {}, {}, 0, 0
    for message in records(brokers, topic):
        total += 1
        headers = {name: (value or b"").decode() for name, value in (message.headers() or [])}
        key = (message.key() or b"").decode()
        missing = [name for name in REQUIRED if name not in headers]
        if missing:
            problems.append(f"{key}: headers missing {missing}")
            continue
        if headers["ce_subject"] != key:
            problems.append(f"{key}: ce_subject is {headers['ce_subject']}")
        record = (key, headers["ce_sequence"], message.value(), headers["ce_type"], headers["ce_time"])
        event_id = headers["ce_id"]
        if event_id in seen:
            repeats += 1
            if seen[event_id] != record:
                problems.append(f"{key}: event {event_id} came again with different content")
            continue
        seen[event_id] = record
        streams.setdefault(key, []).append(int(headers["ce_sequence"]))
    for key, sequence in streams.items():
        if sequence != list(range(1, len(sequence) + 1)):
            problems.append(f"{key}: sequence {sequence[:10]}... is not 1, 2, 3, ...")
    print(f"{topic}: {total} records, {len(seen)} events, {repeats} exact repeats, {len(streams)} keys, "
          f"every key's sequence contiguous from 1: {'yes' if not any('sequence' in p for p in problems) else 'no'}")
    for problem in problems[:20]:
        print("  problem:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
