// Prints the outbox connector's configuration as JSON, for `scripts/connect.sh register`, from the
// service's own settings: DATABASE_URL, KAFKA_TOPIC, CART_EVENTS_TOPIC, EVENT_SOURCE, OUTBOX_SLOT_NAME.
import { debeziumOutboxConnector, outboxConnectorOptions } from "../src/outbox/debezium-connector.js";

process.stdout.write(JSON.stringify(debeziumOutboxConnector(outboxConnectorOptions(process.env))));
