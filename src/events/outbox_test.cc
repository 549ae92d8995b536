#include "events/outbox.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <random>

namespace berth::events {
namespace {

using nlohmann::json;

LocalPtr<const DeliveryRoute> Route(const std::string& rule) {
  auto r = boost::make_local_shared<DeliveryRoute>();
  r->rule_arn = "arn:aws:events:us-east-1:123456789012:rule/" + rule;
  r->rule_name = rule;
  r->target = ParseTarget({{"Id", "t"}, {"Arn", "arn:aws:lambda:us-east-1:1:function:f"}}).value();
  return r;
}

PendingDelivery Make(const LocalPtr<const DeliveryRoute>& route, int n, bool whole) {
  auto event = boost::make_local_shared<DeliveryEvent>();
  event->id = "event-" + std::to_string(n);
  event->text = R"({"n":)" + std::to_string(n) + "}";
  PendingDelivery d;
  d.route = route;
  d.event = event;
  d.whole_event = whole;
  if (!whole)
    d.payload = boost::make_local_shared<const std::string>("payload " + std::to_string(n));
  d.first_ms = 1000 + n;
  return d;
}

// The ring of recent ids and the map of old ones behave as one ordered map of pending
// deliveries, whatever the order deliveries finish in.
TEST(OutboxTest, PendingDeliveriesBehaveAsAnOrderedMap) {
  auto box = Outbox::Open("").value();
  auto route = Route("r");
  std::map<uint64_t, int> model;  // id → n
  std::mt19937 rng(5);
  int n = 0;
  for (int round = 0; round < 400; ++round) {
    std::vector<PendingDelivery> batch;
    std::vector<int> ns;
    int size = 1 + static_cast<int>(rng() % 400);
    for (int k = 0; k < size; ++k) {
      ns.push_back(n);
      batch.push_back(Make(route, n++, rng() % 2));
    }
    ASSERT_TRUE(box->Append(&batch).ok());  // (the deliveries move; their ids stay)
    for (size_t k = 0; k < batch.size(); ++k) {
      ASSERT_EQ(model.count(batch[k].id), 0u);
      model[batch[k].id] = ns[k];
    }
    // Finish most of them, in random order; some stay pending for long (down targets).
    std::vector<uint64_t> ids;
    for (const auto& [id, v] : model) ids.push_back(id);
    std::shuffle(ids.begin(), ids.end(), rng);
    for (size_t k = 0; k < ids.size() * 9 / 10; ++k) {
      if (rng() % 50 == 0) continue;
      box->Done(ids[k]);
      model.erase(ids[k]);
    }
    box->Done(123456789);  // unknown ids are ignored
    ASSERT_EQ(box->pending_count(), model.size());
  }
  // Force the ring past its largest size: tens of thousands pending at once.
  std::vector<PendingDelivery> big;
  const int first = n;
  for (int k = 0; k < 70000; ++k) big.push_back(Make(route, n++, true));
  ASSERT_TRUE(box->Append(&big).ok());
  for (size_t k = 0; k < big.size(); ++k) model[big[k].id] = first + static_cast<int>(k);
  ASSERT_EQ(box->pending_count(), model.size());
  std::vector<uint64_t> expected;
  for (const auto& [id, v] : model) expected.push_back(id);
  EXPECT_EQ(box->PendingIds(), expected);
  for (const auto& [id, v] : model) {
    PendingDelivery* d = box->Find(id);
    ASSERT_NE(d, nullptr) << id;
    EXPECT_EQ(d->id, id);
    EXPECT_EQ(d->event->id, "event-" + std::to_string(v));
  }
  for (uint64_t id : expected) box->Done(id);
  EXPECT_EQ(box->pending_count(), 0u);
  EXPECT_TRUE(box->PendingIds().empty());
  EXPECT_EQ(box->Find(expected.back()), nullptr);
}

TEST(OutboxTest, JournalKeepsPendingDeliveriesAcrossReopens) {
  char tmpl[] = "/tmp/berth-outbox-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  auto route = Route("r");
  std::vector<uint64_t> ids;
  {
    auto box = Outbox::Open(dir).value();
    std::vector<PendingDelivery> batch = {Make(route, 1, true), Make(route, 2, false),
                                          Make(route, 3, true)};
    ASSERT_TRUE(box->Append(&batch).ok());
    for (const auto& d : batch) ids.push_back(d.id);
    box->Done(ids[1]);
    ASSERT_TRUE(box->AddDeadLetter({ToDelivery(*box->Find(ids[2])), "HTTP_500", "no", 7}).ok());
    box->Done(ids[2]);
  }
  auto box = Outbox::Open(dir).value();
  ASSERT_EQ(box->PendingIds(), std::vector<uint64_t>{ids[0]});
  const PendingDelivery* d = box->Find(ids[0]);
  ASSERT_NE(d, nullptr);
  EXPECT_TRUE(d->whole_event);
  EXPECT_EQ(d->event->text, R"({"n":1})");
  EXPECT_EQ(d->route->rule_name, "r");
  EXPECT_EQ(d->route->target.arn, "arn:aws:lambda:us-east-1:1:function:f");
  EXPECT_TRUE(d->route->parse_status.ok());
  Delivery full = ToDelivery(*d);
  EXPECT_EQ(full.payload, full.event);
  ASSERT_EQ(box->dead_letters().size(), 1u);
  EXPECT_EQ(box->dead_letters()[0].delivery.event, R"({"n":3})");
  // New ids continue after every id ever handed out.
  std::vector<PendingDelivery> more = {Make(route, 4, false)};
  ASSERT_TRUE(box->Append(&more).ok());
  EXPECT_GT(more[0].id, ids[2]);
  EXPECT_EQ(*box->Find(more[0].id)->payload, "payload 4");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace berth::events
