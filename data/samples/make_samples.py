#!/usr/bin/env python3
"""Writes data/samples/shop_day.jsonl: one scripted shop day, several buyers interleaved.

Each buyer is a situation DESIGN.md §4 names; together they make every action kind fire at
least once, and the calm buyers must get neither hand-off nor retention. Run from the crate
root: python3 data/samples/make_samples.py
"""
import json

T0 = 1732240000000  # 2024-11-22 01:46:40 UTC
S = 1000
MIN = 60 * S
events = []


def ev(buyer, t, typ, **fields):
    events.append({"type": typ, "buyer": buyer, "at_ms": T0 + t, **fields})


def say(buyer, t, text, who="buyer"):
    ev(buyer, t, "message", **{"from": who, "text": text})


# Calm pre-sale buyer: asks, gets human answers, gets size advice, thanks. No hand-off, no retention.
b = "calm_presale"
say(b, 0, "你好，在吗")
say(b, 20 * S, "亲，在的，请问有什么可以帮您", "agent")
say(b, 60 * S, "这款卫衣是什么面料的")
say(b, 80 * S, "亲，是纯棉的哦", "agent")
say(b, 120 * S, "我身高165，体重110斤，穿什么码")
say(b, 140 * S, "亲，建议您拍M码", "agent")
say(b, 180 * S, "好的，谢谢")

# Impulse buyer regretting in the golden window: live room -> pays in a minute -> doubts the
# effect -> opens the return policy twice.
b = "golden_regret"
ev(b, 1 * MIN, "page_view", page="live_room")
ev(b, 2 * MIN, "order_paid", order="6929384756102", amount_fen=19900)
say(b, 2 * MIN + 40 * S, "这件衣服显胖吗？")
ev(b, 2 * MIN + 60 * S, "page_view", page="return_policy")
ev(b, 2 * MIN + 90 * S, "page_leave", page="return_policy")
ev(b, 2 * MIN + 95 * S, "page_view", page="product_page")
ev(b, 2 * MIN + 100 * S, "page_view", page="live_room")
ev(b, 3 * MIN + 50 * S, "page_view", page="return_policy")
ev(b, 4 * MIN, "offer_accepted", offer="quality_proof")
ev(b, 3 * 60 * MIN, "order_shipped", order="6929384756102")
ev(b, 2 * 24 * 60 * MIN, "order_delivered", order="6929384756102")

# Angry buyer whose parcel has not shipped: urging, then accusation and a 12315 threat.
b = "angry_late"
ev(b, 5 * MIN, "order_paid", order="6929384756230", amount_fen=8900)
ev(b, 3 * 24 * 60 * MIN, "logistics_stalled", order="6929384756230", hours=72)
say(b, 3 * 24 * 60 * MIN + 10 * S, "都三天了怎么还不发货？？？")
say(b, 3 * 24 * 60 * MIN + 20 * S, "亲，正在为您催促仓库", "bot")
say(b, 3 * 24 * 60 * MIN + 90 * S, "你们是骗子吧！！！垃圾店铺，气死我了")
say(b, 3 * 24 * 60 * MIN + 120 * S, "再不发货我就打12315投诉你们")

# Buyer asking for a human, in traditional characters.
b = "wants_human"
say(b, 10 * MIN, "在嗎")
say(b, 10 * MIN + 5 * S, "您好，我是智能客服小美", "bot")
say(b, 10 * MIN + 30 * S, "我要轉人工")

# Buyer stuck with the bot: three turns, only bot replies.
b = "bot_loop"
say(b, 20 * MIN, "我的快递到哪了")
say(b, 20 * MIN + 2 * S, "亲，您可以在订单详情查看物流哦", "bot")
say(b, 20 * MIN + 40 * S, "订单详情里没有物流信息")
say(b, 20 * MIN + 42 * S, "亲，您可以在订单详情查看物流哦", "bot")
say(b, 20 * MIN + 80 * S, "物流三天没动了，到底怎么回事")

# Bargain hunter: asks for a lower price twice, no order. Tagged, not retained.
b = "bargain"
say(b, 30 * MIN, "能便宜点吗")
say(b, 30 * MIN + 20 * S, "亲，现在已经是活动价了哦", "agent")
say(b, 30 * MIN + 60 * S, "别家才卖99，有优惠券吗")
say(b, 30 * MIN + 80 * S, "亲，可以领店铺满减券", "agent")

# VIP buyer: a large order delivered, five stars: a repurchase follow-up.
b = "vip_happy"
ev(b, 40 * MIN, "page_view", page="product_page")
ev(b, 55 * MIN, "order_paid", order="6929384799001", amount_fen=288800)
ev(b, 2 * 24 * 60 * MIN, "order_shipped", order="6929384799001")
ev(b, 3 * 24 * 60 * MIN, "order_delivered", order="6929384799001")
say(b, 3 * 24 * 60 * MIN + 60 * MIN, "收到了，质量很好，很满意")
ev(b, 3 * 24 * 60 * MIN + 61 * MIN, "rating", stars=5)

# Size-anxious buyer with a size mentioned: advice to size up.
b = "size_anxious"
ev(b, 50 * MIN, "page_view", page="size_chart")
say(b, 51 * MIN, "偏大还是偏小？")
say(b, 51 * MIN + 30 * S, "亲，版型标准", "agent")
say(b, 52 * MIN, "我170 130斤，拍了M码会不会小")

events.sort(key=lambda e: e["at_ms"])
with open("data/samples/shop_day.jsonl", "w", encoding="utf-8") as f:
    for e in events:
        f.write(json.dumps(e, ensure_ascii=False) + "\n")
print(f"wrote {len(events)} events")
