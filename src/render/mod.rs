//! Rendering: the retrospectives of `report` as Markdown (`markdown.rs`), as HTML documents
//! (`html.rs`, which also holds the page frame the web view shares) and as SVG charts
//! (`chart.rs`), with the number formatting (`number.rs`) they share. HTML and SVG are maud
//! templates (`html!`), checked at compile time, which escape every value that is not already
//! markup; Markdown escapes user-written text with `escape::markdown`.

pub mod chart;
pub mod cycle;
pub mod escape;
pub mod html;
pub mod markdown;
pub mod number;
