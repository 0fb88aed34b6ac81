//! The default intent model is robust to the ways buyers really type: traditional characters,
//! full-width letters and digits, emoji, typos and homophones, and voice-to-text run-ons
//! without punctuation. Each case is a plain message with its intent plus hand-written
//! variants; emoji, full-width and run-on variants are made from every spelling. The messages
//! were written for this test (none comes from an evaluation split).

use kefu::train::IntentClassifier;
use kefu::{Engine, Event};

/// (intent, plain message, hand-written variants: traditional script, typos, homophones).
const CASES: &[(&str, &str, &[&str])] = &[
    ("refund_request", "退款什么时候到账", &["退款什麼時候到賬", "退款神么时候到帐"]),
    (
        "urge_shipping",
        "付款三天了怎么还不发货",
        &["付款三天了怎麼還不發貨", "付款三天了怎么还不发或"],
    ),
    ("human_agent", "我要人工客服", &["我要人工客服", "我要人攻客服"]),
    ("invoice", "可以开发票吗", &["可以開發票嗎", "可以开发漂吗"]),
    ("cancel_order", "帮我取消订单", &["幫我取消訂單", "帮我取消订但"]),
    ("logistics_status", "快递到哪了", &["快遞到哪了", "快滴到哪了"]),
    ("size_fit", "170 120斤穿什么码", &["170 120斤穿什麼碼", "170 120斤穿神么码"]),
    ("authenticity", "是正品吗", &["是正品嗎", "是正品吗有保障不"]),
    ("stock", "黑色还有货吗", &["黑色還有貨嗎", "黑色还有或吗"]),
    ("complaint", "我要投诉你们", &["我要投訴你們", "我要头诉你们"]),
    ("greeting", "在吗", &["在嗎", "在马"]),
    ("thanks_confirm", "好的谢谢", &["好的謝謝", "好滴谢谢"]),
    ("return_exchange", "怎么申请退货", &["怎麼申請退貨", "怎么申请退或"]),
    ("price_bargain", "能便宜点吗", &["能便宜點嗎", "能便宜滴吗"]),
    ("quality_issue", "收到的衣服破了个洞", &["收到的衣服破了個洞", "收到的衣服破了个动"]),
    ("modify_order", "地址填错了帮我改一下", &["地址填錯了幫我改一下", "地址填错了帮我该一下"]),
];

fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap_or(c),
            ' ' => '\u{3000}',
            c => c,
        })
        .collect()
}

/// Every variant of a case: its spellings, each also with emoji, in full width and run on
/// with the fillers of voice input.
fn variants(plain: &str, written: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for s in std::iter::once(plain).chain(written.iter().copied()) {
        out.push(s.to_string());
        out.push(format!("{s}😭🙏"));
        out.push(format!("{s}？？？"));
        out.push(full_width(&format!("{s}?")));
        out.push(format!("喂那个就是我想问一下{s}你们看一下"));
    }
    out
}

#[test]
fn variants_keep_their_intent() {
    let engine = Engine::new().unwrap();
    let mut c = IntentClassifier::new(&engine);
    let mut bad = Vec::new();
    let mut n = 0;
    for &(want, plain, written) in CASES {
        for v in variants(plain, written) {
            n += 1;
            let got = c.classify(&v);
            if got.id != want {
                bad.push(format!("{v}: want {want}, got {} {:.2}", got.id, got.confidence));
            }
        }
    }
    assert!(n > 200, "{n} variants");
    assert!(bad.is_empty(), "{} of {n} variants changed intent:\n{}", bad.len(), bad.join("\n"));
}

#[test]
fn the_classifier_agrees_with_the_session() {
    let engine = Engine::new().unwrap();
    let mut c = IntentClassifier::new(&engine);
    for &(_, plain, written) in CASES {
        for v in variants(plain, written) {
            let mut s = engine.session();
            let d = s.on_event(&Event::buyer_says(0, v.as_str()));
            let i = d.intent().unwrap();
            let got = c.classify(&v);
            assert_eq!((got.id, got.confidence), (i.id, i.confidence), "{v}");
        }
    }
}
