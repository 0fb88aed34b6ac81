//! A scripted conversation through the default engine: prints what kefu decides at each event
//! and the brief a human agent would get.
//!
//! ```text
//! cargo run --example quickstart
//! ```

use kefu::{Engine, Event, Page};

fn main() -> Result<(), kefu::Error> {
    let engine = Engine::new()?;
    let mut s = engine.session();
    let t0: u64 = 1_732_240_000_000;
    let script = [
        Event::page_view(t0, Page::LiveRoom),
        Event::order_paid(t0 + 60_000, "6929384756102".try_into()?, 19_900),
        Event::buyer_says(t0 + 80_000, "这件衣服显胖吗？我165 120斤，拍的M"),
        Event::page_view(t0 + 95_000, Page::ReturnPolicy),
        Event::bot_says(t0 + 96_000, "亲，您好，请稍等"),
        Event::page_view(t0 + 110_000, Page::ReturnPolicy),
        Event::buyer_says(t0 + 130_000, "在吗？？？怎么没人回"),
        Event::buyer_says(t0 + 150_000, "算了，我要退款"),
        Event::agent_says(t0 + 170_000, "亲，M码偏小，给您换L码可以吗？运费我们出"),
        Event::buyer_says(t0 + 200_000, "好的谢谢"),
    ];
    for ev in &script {
        let d = s.on_event(ev);
        let what = match ev {
            Event::Message { from, text, .. } => format!("{from:?}: {text}"),
            other => format!("{other:?}"),
        };
        println!("{what}");
        if let (Some(i), Some(e)) = (d.intent(), d.emotion()) {
            println!(
                "  intent {} ({:.2})  emotion {} valence {:+.2} intensity {:.2}",
                i.id,
                i.confidence,
                e.label.as_str(),
                e.valence,
                e.intensity
            );
        }
        let factors: Vec<String> =
            d.risk().top_factors(3).map(|(f, c)| format!("{} {c:+.2}", f.as_str())).collect();
        println!("  risk {:.2} [{}]", d.risk().probability, factors.join(", "));
        for (a, rule) in d.actions().iter().zip(d.fired()) {
            println!("  -> {} ({rule})", serde_json::to_string(a).unwrap_or_default());
        }
    }
    println!("\n--- brief for the agent ---\n{}", s.brief());
    Ok(())
}
