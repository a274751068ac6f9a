// The book's small additions to the theme's scripts (loaded on every page by _ext/torchbook_site/assets.py).
//
// A box that scrolls sideways (a long code line, an output, a wide equation or table) can be
// scrolled with the keyboard only if it can take the focus: give exactly those boxes a tab stop
// and a name (WCAG 2.1.1; axe-core's scrollable-region-focusable).
(() => {
  const SCROLLERS = "pre, div.math, mjx-container[display='true'], div.output, div.cell_output, .pst-scrollable-table-container, .table-wrapper";
  const label = (el) => {
    if (el.matches("div.math, mjx-container")) return "Equation (scrolls sideways)";
    if (el.closest(".cell_input, div.highlight")) return "Code (scrolls sideways)";
    if (el.closest(".cell_output, div.output")) return "Output (scrolls sideways)";
    return "Scrollable region";
  };
  const mark = () => {
    document.querySelectorAll(SCROLLERS).forEach((el) => {
      const scrolls = el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1;
      const overflow = getComputedStyle(el);
      const canScroll = /auto|scroll/.test(overflow.overflowX + overflow.overflowY);
      if (scrolls && canScroll && !el.hasAttribute("tabindex")) {
        el.setAttribute("tabindex", "0");
        if (!el.hasAttribute("role")) el.setAttribute("role", "region");
        if (!el.hasAttribute("aria-label")) el.setAttribute("aria-label", label(el));
      }
    });
  };
  const run = () => {
    mark();
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) MathJax.startup.promise.then(mark);
  };
  if (document.readyState === "complete") run();
  else window.addEventListener("load", run);
  let timer = null;
  window.addEventListener("resize", () => { clearTimeout(timer); timer = setTimeout(mark, 200); });
})();
