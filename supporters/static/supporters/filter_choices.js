// Filters a list of checkboxes as you type in a search box with `data-filters="#list-id"`.
// Without JavaScript the box's own form (GET ?q=) narrows the list on the server instead.
document.querySelectorAll("input[data-filters]").forEach((search) => {
  const list = document.querySelector(search.dataset.filters);
  if (!list) return;
  const fold = (text) => text.normalize("NFKC").toLowerCase();
  search.addEventListener("input", () => {
    const words = fold(search.value).split(/\s+/).filter(Boolean);
    list.querySelectorAll("label").forEach((label) => {
      const text = fold(label.textContent);
      const row = label.closest("div") || label;
      row.hidden = !words.every((word) => text.includes(word));
    });
  });
  // Enter in the box would submit the search form and lose what was typed below.
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.preventDefault();
  });
});
