//! Colours with meaning, and their colourless fallbacks for `NO_COLOR`.

use crate::config::ChartMarker;
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;

/// Colours of the series drawn together in one chart, in order.
const SERIES_COLORS: [Color; 8] = [
    Color::Cyan,
    Color::Yellow,
    Color::Magenta,
    Color::Green,
    Color::LightRed,
    Color::LightBlue,
    Color::White,
    Color::LightGreen,
];
/// Plain characters that tell series apart without colour or Braille.
const SERIES_CHARS: [char; 8] = ['*', '+', 'o', 'x', '#', '%', '@', '='];

/// How things look: colour or not, and the chart marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// Whether colours may be used (false when `NO_COLOR` is set and non-empty).
    pub color: bool,
    /// The chart marker from the config.
    pub marker: ChartMarker,
}

impl Default for Theme {
    fn default() -> Self {
        Theme {
            color: true,
            marker: ChartMarker::Braille,
        }
    }
}

impl Theme {
    /// The theme for this environment: colours unless `NO_COLOR` is set and non-empty.
    pub fn from_env(marker: ChartMarker) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme {
            color: !no_color,
            marker,
        }
    }

    fn fg(&self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    /// Titles and the active tab.
    pub fn accent(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// Hints and secondary text.
    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    /// Good news: finished, ready, best values.
    pub fn good(&self) -> Style {
        self.fg(Color::Green).add_modifier(Modifier::BOLD)
    }

    /// Bad news: errors, failures, damaged runs.
    pub fn bad(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    /// Something needs attention: paused, loading, differing settings.
    pub fn warn(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Yellow)
        } else {
            Style::new().add_modifier(Modifier::UNDERLINED)
        }
    }

    /// The row or field under the cursor.
    pub fn selected(&self) -> Style {
        if self.color {
            Style::new()
                .bg(Color::DarkGray)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }

    /// Key names in the key bar and help.
    pub fn key(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    /// The training series (loss, train accuracy).
    pub fn train(&self) -> Style {
        self.fg(Color::Cyan)
    }

    /// The test series.
    pub fn test(&self) -> Style {
        self.fg(Color::Yellow)
    }

    /// Learning-rate change markers.
    pub fn lr_mark(&self) -> Style {
        self.fg(Color::Magenta)
    }

    /// Style of the `i`-th series of a comparison.
    pub fn series(&self, i: usize) -> Style {
        self.fg(SERIES_COLORS[i % SERIES_COLORS.len()])
    }

    /// Marker of the `i`-th series in a chart. Without colour (or with the ASCII
    /// option), each series gets its own plain character so they stay apart.
    pub fn marker(&self, i: usize) -> Marker {
        match self.marker {
            ChartMarker::Ascii => Marker::Custom(SERIES_CHARS[i % SERIES_CHARS.len()]),
            _ if !self.color && i > 0 => Marker::Custom(SERIES_CHARS[i % SERIES_CHARS.len()]),
            ChartMarker::Braille => Marker::Braille,
            ChartMarker::HalfBlock => Marker::HalfBlock,
        }
    }

    /// The plain character used for series `i` (shown in legends without colour).
    pub fn series_char(&self, i: usize) -> char {
        SERIES_CHARS[i % SERIES_CHARS.len()]
    }
}
