//! Rendering: the retrospectives of `report` as Markdown (`markdown.rs`), as HTML documents
//! (`html.rs`, which also holds the page frame the web view shares) and as SVG charts
//! (`chart.rs`), with the number formatting (`number.rs`) and escaping (`escape.rs`) they share.
//! Everything user-written goes through `escape` on its way out.

pub mod chart;
pub mod cycle;
pub mod escape;
pub mod html;
pub mod markdown;
pub mod number;
