// What another team's service does with @shop/order-api: place an order over gRPC, read its
// parcels (none yet) through FulfillmentService, then read its OrderCreated from Kafka and decode
// it (binary protobuf or JSON, by content-type).
//
//   ORDER_SERVICE_URL=http://127.0.0.1:50051 ORDER_TOKEN=... KAFKA_BROKERS=127.0.0.1:9092 KAFKA_TOPIC=orders.v1 node place-and-consume.mjs
import { randomUUID } from "node:crypto";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { decodeOrderEvent, eventTypeOf, FulfillmentService, OrderService } from "@shop/order-api";
import { Kafka, logLevel } from "kafkajs";

const authorize = (next) => (request) => {
  request.header.set("authorization", `Bearer ${process.env.ORDER_TOKEN}`);
  return next(request);
};
const transport = createGrpcTransport({ baseUrl: process.env.ORDER_SERVICE_URL, interceptors: [authorize] });
const orders = createClient(OrderService, transport);
const fulfilment = createClient(FulfillmentService, transport);

const { order } = await orders.createOrder({
  requestId: randomUUID(),
  customer: { email: "ann@example.com", firstName: "Ann", lastName: "Lee" },
  items: [{ productId: "prod-mug", quantity: 1 }],
  shippingAddress: { line1: "1 Main St", city: "Springfield", postalCode: "62701", countryCode: "US" },
  paymentMethod: { method: { case: "cashOnDelivery", value: {} } },
});

const { shipments } = await fulfilment.listShipments({ orderId: order.id });

const kafka = new Kafka({ brokers: process.env.KAFKA_BROKERS.split(","), clientId: "example-consumer", logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({ groupId: `example-${randomUUID()}` });
await consumer.connect();
await consumer.subscribe({ topic: process.env.KAFKA_TOPIC, fromBeginning: true });
const decoded = await new Promise((resolve) => {
  consumer.run({
    eachMessage: async ({ message }) => {
      if (message.key?.toString() !== order.id) return;
      const event = decodeOrderEvent(message.value, String(message.headers["content-type"]));
      resolve({
        ceType: String(message.headers.ce_type),
        eventType: eventTypeOf(event),
        orderId: event.orderId,
        version: String(event.orderVersion),
      });
    },
  });
});
await consumer.disconnect();
console.log(JSON.stringify({ placed: order.id, orderNumber: order.orderNumber, shipments: String(shipments.length), ...decoded }));
