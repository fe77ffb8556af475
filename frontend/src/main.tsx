import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "@xyflow/react/dist/style.css";
import "./styles/tokens.css";
import "./styles/base.css";
import "./styles/shell.css";
import "./styles/canvas.css";
import "./styles/panels.css";
import "./styles/dashboard.css";
import "./styles/editor.css";
import "./styles/test-bench.css";
import "./styles/reprocess.css";
import "./styles/topics.css";
import { App } from "./app";
import { UiStoreProvider } from "./store/ui-context";

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");

createRoot(root).render(
  <StrictMode>
    <UiStoreProvider>
      <App />
    </UiStoreProvider>
  </StrictMode>,
);
