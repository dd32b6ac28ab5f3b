// The pipeline board: drag a card to another column to move the deal. The move is the card's
// own Move form (the keyboard fallback), submitted with the new stage: the server moves it
// through the lifecycle. Where the move needs a reason (closed lost, reopening a closed deal),
// the form opens for it instead of being sent.
(function () {
  "use strict";
  const board = document.getElementById("board");
  if (!board || board.dataset.mayMove !== "yes") return;
  let dragged = null;
  board.addEventListener("dragstart", (event) => {
    const card = event.target.closest(".deal-card");
    if (!card) return;
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.id);
  });
  board.addEventListener("dragover", (event) => {
    if (dragged && event.target.closest(".board-column")) event.preventDefault();
  });
  board.addEventListener("drop", (event) => {
    const column = event.target.closest(".board-column");
    if (!dragged || !column) return;
    event.preventDefault();
    const card = dragged;
    dragged = null;
    const from = card.dataset.stage;
    const to = column.dataset.stage;
    if (from === to) return;
    const form = card.querySelector(".move-form");
    form.elements.stage.value = to;
    const closed = from === "closed_won" || from === "closed_lost";
    if (column.dataset.reason === "yes" || closed) {
      const details = card.querySelector("details.move");
      details.open = true;
      const field = to === "closed_lost" ? form.elements.lost_reason : form.elements.stage_reason;
      field.focus();
      return;
    }
    form.submit();
  });
})();
