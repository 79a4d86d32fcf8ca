// Adaptive Cards host configs close to how Microsoft Teams renders cards, light and dark
// (Segoe UI, Teams' palette, Teams' spacing). Cards can look different in Teams itself; the point
// here is a faithful enough preview that colours and emphasis carry the same meaning.
'use strict';
(function () {
  function palette(fg, subtle, accent, good, warning, attention) {
    const color = (def, sub) => ({ default: def, subtle: sub });
    return {
      default: color(fg, subtle),
      dark: color('#252424', '#605e5c'),
      light: color('#ffffff', '#c8c6c4'),
      accent: color(accent, accent),
      good: color(good, good),
      warning: color(warning, warning),
      attention: color(attention, attention),
    };
  }
  function hostConfig(dark) {
    const fg = dark ? '#ffffff' : '#242424';
    const subtle = dark ? '#adadad' : '#616161';
    const colors = dark
      ? palette(fg, subtle, '#a6a7dc', '#92c353', '#ffc353', '#e9707a')
      : palette(fg, subtle, '#6264a7', '#237b4b', '#835c00', '#c4314b');
    return {
      fontFamily: "'Segoe UI', 'Segoe UI Web (West European)', -apple-system, BlinkMacSystemFont, Roboto, 'Helvetica Neue', sans-serif",
      supportsInteractivity: true,
      spacing: { small: 8, default: 12, medium: 16, large: 20, extraLarge: 24, padding: 16 },
      separator: { lineThickness: 1, lineColor: dark ? '#3d3d3d' : '#e1dfdd' },
      imageSizes: { small: 32, medium: 52, large: 100 },
      fontTypes: {
        default: {
          fontFamily: "'Segoe UI', 'Segoe UI Web (West European)', -apple-system, BlinkMacSystemFont, Roboto, 'Helvetica Neue', sans-serif",
          fontSizes: { small: 12, default: 14, medium: 14, large: 18, extraLarge: 24 },
          fontWeights: { lighter: 200, default: 400, bolder: 600 },
        },
        monospace: {
          fontFamily: "Consolas, 'Cascadia Mono', 'Courier New', monospace",
          fontSizes: { small: 12, default: 13, medium: 14, large: 18, extraLarge: 24 },
          fontWeights: { lighter: 200, default: 400, bolder: 600 },
        },
      },
      containerStyles: {
        default: { backgroundColor: dark ? '#292929' : '#ffffff', foregroundColors: colors },
        emphasis: { backgroundColor: dark ? '#1f1f1f' : '#f5f5f5', foregroundColors: colors },
        accent: { backgroundColor: dark ? '#2f2f4a' : '#e8ebfa', foregroundColors: colors },
        good: { backgroundColor: dark ? '#0d2e0d' : '#e7f2da', foregroundColors: colors },
        attention: { backgroundColor: dark ? '#3e1f25' : '#fcf4f6', foregroundColors: colors },
        warning: { backgroundColor: dark ? '#463100' : '#fbf6d9', foregroundColors: colors },
      },
      actions: {
        maxActions: 6,
        spacing: 'default',
        buttonSpacing: 8,
        showCard: { actionMode: 'inline', inlineTopMargin: 16, style: 'emphasis' },
        actionsOrientation: 'horizontal',
        actionAlignment: 'left',
      },
      adaptiveCard: { allowCustomStyle: true },
      factSet: {
        title: { color: 'default', size: 'default', isSubtle: false, weight: 'bolder', wrap: true, maxWidth: 260 },
        value: { color: 'default', size: 'default', isSubtle: false, weight: 'default', wrap: true },
        spacing: 8,
      },
      textBlock: { headingLevel: 2 },
      inputs: { label: { inputSpacing: 'small', requiredInputs: { suffix: ' *', suffixColor: 'attention' }, optionalInputs: {} }, errorMessage: { size: 'small', color: 'attention' } },
    };
  }
  window.teamsHostConfig = { light: hostConfig(false), dark: hostConfig(true) };
})();
