"""Every mutant and equivalent of the suite, by task. See operators.py for the edits."""

from __future__ import annotations

from mutation.operators import Case, body, drop_line, equivalent, move_line, mutant, replace, unwrap

TRAIN, EVAL, NET = "mnist.train_one_epoch", "mnist.evaluate", "mnist.MNISTNet"
SOFTMAX, CE = "cross_entropy.softmax", "cross_entropy.cross_entropy"
MSE, BCE, BCEL, BIN = ("bce_mse.mse_loss", "bce_mse.bce_loss", "bce_mse.bce_with_logits_loss",
                       "bce_mse.BinaryClassifier")
LOADERS, ITERS, PAIRS = ("dataloaders.make_loaders", "dataloaders.iterations_per_epoch",
                         "dataloaders.TensorPairDataset")
CONV, CNN, LENET, COUNT = ("nn_module.conv_output_size", "nn_module.SimpleCNN", "nn_module.LeNet",
                           "nn_module.count_parameters")
SGD = "nn_module.sgd_step"
UPDATE = "p -= lr * p.grad"

LOGITS = "logits = model(images)"
MOVE = "images, labels = images.to(device), labels.to(device)"
FOR = "for images, labels in loader:"


def while_next(indent: int) -> str:
    """The `for images, labels in loader:` line as a while loop over next(), at `indent`."""
    pad = " " * indent
    return (f"batches = iter(loader)\n{pad}while True:\n{pad}    try:\n"
            f"{pad}        images, labels = next(batches)\n{pad}    except StopIteration:\n"
            f"{pad}        break")


# Softmax before the criterion, in each spelling students use.
SOFTMAX_SPELLINGS = {
    "F.softmax": "logits = F.softmax(model(images), dim=1)",
    "torch.softmax": "logits = torch.softmax(model(images), dim=1)",
    ".softmax()": "logits = model(images).softmax(dim=1)",
    "nn.Softmax()": "logits = nn.Softmax(dim=1)(model(images))",
    "exp/sum by hand": "logits = model(images).exp() / model(images).exp().sum(1, keepdim=True)",
}

MUTANTS: list[Case] = [
    # ---- train_one_epoch
    mutant(TRAIN, "drop zero_grad", "MISSING_ZERO_GRAD", drop_line("optimizer.zero_grad()")),
    mutant(TRAIN, "zero_grad before the loop only", "MISSING_ZERO_GRAD",
           move_line("optimizer.zero_grad()", "total_loss, seen = 0.0, 0")),
    mutant(TRAIN, "zero_grad after backward", "ZERO_GRAD_AFTER_BACKWARD",
           move_line("optimizer.zero_grad()", "loss.backward()")),
    mutant(TRAIN, "swap backward/step", "STEP_BEFORE_BACKWARD",
           move_line("optimizer.step()", "loss = criterion(logits, labels)")),
    mutant(TRAIN, "step out of the loop", "STEP_OUTSIDE_BATCH_LOOP",
           move_line("optimizer.step()", "seen += len(labels)", indent=4)),
    *[mutant(TRAIN, f"softmax before criterion ({k})", "SOFTMAX_BEFORE_CE", replace(LOGITS, v))
      for k, v in SOFTMAX_SPELLINGS.items()],
    mutant(TRAIN, "drop model.train()", "TRAIN_MODE_NOT_SET", drop_line("model.train()")),
    mutant(TRAIN, "drop .to(device) for inputs", "DEVICE_MISMATCH",
           replace(MOVE, "labels = labels.to(device)")),
    mutant(TRAIN, "drop .to(device) for labels", "DEVICE_MISMATCH",
           replace(MOVE, "images = images.to(device)")),
    mutant(TRAIN, "drop .to(device) for both", "DEVICE_MISMATCH", drop_line(MOVE)),
    mutant(TRAIN, "hard-coded .cuda()", "DEVICE_MISMATCH",
           replace(MOVE, "images, labels = images.cuda(), labels.cuda()")),
    mutant(TRAIN, "accumulate the loss tensor", "LOSS_GRAPH_RETAINED",
           replace("loss.item() * len(labels)", "loss * len(labels)")),
    mutant(TRAIN, "accumulate the loss tensor, float at the end", "LOSS_GRAPH_RETAINED",
           replace("loss.item() * len(labels)", "loss * len(labels)"),
           replace("return total_loss / seen", "return float(total_loss / seen)")),
    mutant(TRAIN, "sum instead of mean", "WRONG_VALUE",
           replace("return total_loss / seen", "return total_loss")),
    # ---- evaluate
    mutant(EVAL, "drop model.eval()", "EVAL_MODE_MISSING", drop_line("model.eval()")),
    mutant(EVAL, "model.train() instead of eval()", "EVAL_MODE_MISSING",
           replace("model.eval()", "model.train()")),
    mutant(EVAL, "drop no_grad", "NO_GRAD_MISSING", unwrap("with torch.no_grad():")),
    mutant(EVAL, "drop no_grad, accumulate the loss tensor", "LOSS_GRAPH_RETAINED",
           unwrap("with torch.no_grad():"),
           replace("criterion(logits, labels).item()", "criterion(logits, labels)"),
           replace("return total_loss / seen,", "return float(total_loss / seen),")),
    mutant(EVAL, "argmax(dim=0)", "ACCURACY_WRONG", replace("argmax(dim=1)", "argmax(dim=0)")),
    mutant(EVAL, "accuracy in percent", "ACCURACY_WRONG",
           replace("correct / seen", "100 * correct / seen")),
    mutant(EVAL, "mean of per-batch accuracies", "ACCURACY_WRONG",
           replace("== labels).sum().item()", "== labels).float().mean().item()"),
           replace("correct / seen", "correct / len(loader)")),
    mutant(EVAL, "drop .to(device) for inputs", "DEVICE_MISMATCH",
           replace(MOVE, "labels = labels.to(device)")),
    mutant(EVAL, "drop .to(device) for labels", "DEVICE_MISMATCH",
           replace(MOVE, "images = images.to(device)")),
    mutant(EVAL, "softmax before criterion (F.softmax)", "SOFTMAX_BEFORE_CE",
           replace(LOGITS, SOFTMAX_SPELLINGS["F.softmax"])),
    mutant(EVAL, "return (accuracy, loss)", "WRONG_VALUE",
           replace("return total_loss / seen, correct / seen",
                   "return correct / seen, total_loss / seen")),
    mutant(EVAL, "backward in evaluation", "UPDATES_IN_EVAL", unwrap("with torch.no_grad():"),
           replace("total_loss += criterion(logits, labels).item() * len(labels)",
                   "loss = criterion(logits, labels)\n        loss.backward()\n"
                   "        total_loss += loss.item() * len(labels)")),
    # ---- MNISTNet
    mutant(NET, "softmax on the output", "SOFTMAX_BEFORE_CE",
           replace("nn.Linear(128, 10),", "nn.Linear(128, 10), nn.Softmax(dim=1),")),
    mutant(NET, "sigmoid on the output", "ACTIVATION_ON_OUTPUT",
           replace("nn.Linear(128, 10),", "nn.Linear(128, 10), nn.Sigmoid(),")),
    mutant(NET, "ReLU on the output", "ACTIVATION_ON_OUTPUT",
           replace("nn.Linear(128, 10),", "nn.Linear(128, 10), nn.ReLU(),")),
    mutant(NET, "hard-coded batch size in view", "HARDCODED_BATCH_SIZE",
           replace("nn.Flatten(),", "nn.Identity(),"),
           replace("self.classifier(self.features(x))",
                   "self.classifier(self.features(x).view(64, -1))")),
    mutant(NET, "flatten the whole batch", "WRONG_OUTPUT_SHAPE",
           replace("nn.Flatten(),", "nn.Flatten(0),")),
    mutant(NET, "forward under no_grad", "WRONG_VALUE",
           replace("return self.classifier(self.features(x))",
                   "with torch.no_grad():\n            return self.classifier(self.features(x))")),
    mutant(NET, "F.dropout in forward, mode not passed", "RANDOM_IN_EVAL",
           drop_line("nn.Dropout(0.25),"),
           replace("self.classifier(self.features(x))",
                   "self.classifier(F.dropout(self.features(x), 0.25))")),
    mutant(NET, "F.dropout in forward with training=True", "RANDOM_IN_EVAL",
           drop_line("nn.Dropout(0.25),"),
           replace("self.classifier(self.features(x))",
                   "self.classifier(F.dropout(self.features(x), p=0.25, training=True))")),
    # ---- softmax
    mutant(SOFTMAX, "naive softmax without the max", "UNSTABLE_NUMERICS",
           replace("logits - logits.amax(dim=dim, keepdim=True)", "logits")),
    mutant(SOFTMAX, "one max for the whole tensor", "UNSTABLE_NUMERICS",
           replace("logits.amax(dim=dim, keepdim=True)", "logits.max()")),
    mutant(SOFTMAX, "ignored dim in the sum", "WRONG_VALUE",
           replace("exps.sum(dim=dim, keepdim=True)", "exps.sum(dim=-1, keepdim=True)")),
    mutant(SOFTMAX, "sum over the whole tensor", "WRONG_VALUE",
           replace("exps.sum(dim=dim, keepdim=True)", "exps.sum()")),
    mutant(SOFTMAX, "torch.softmax", "BUILTIN_USED",
           replace("exps / exps.sum(dim=dim, keepdim=True)", "torch.softmax(logits, dim=dim)")),
    mutant(SOFTMAX, "nn.Softmax()", "BUILTIN_USED",
           replace("exps / exps.sum(dim=dim, keepdim=True)", "nn.Softmax(dim=dim)(logits)")),
    mutant(SOFTMAX, "in place on the input", "WRONG_VALUE",
           replace("shifted = logits - logits.amax(dim=dim, keepdim=True)",
                   "logits -= logits.amax(dim=dim, keepdim=True)\n    shifted = logits")),
    # ---- cross_entropy
    mutant(CE, "log(softmax(...))", "UNSTABLE_NUMERICS",
           replace("logits - torch.logsumexp(logits, dim=1, keepdim=True)",
                   "torch.log(torch.softmax(logits, dim=1))")),
    mutant(CE, "log of a hand-written naive softmax", "UNSTABLE_NUMERICS",
           replace("logits - torch.logsumexp(logits, dim=1, keepdim=True)",
                   "torch.log(logits.exp() / logits.exp().sum(dim=1, keepdim=True))")),
    mutant(CE, "sum instead of mean", "WRONG_VALUE", replace("-picked.mean()", "-picked.sum()")),
    mutant(CE, "log_probs[:, targets]", "WRONG_VALUE",
           replace("log_probs.gather(1, targets.unsqueeze(1)).squeeze(1)",
                   "log_probs[:, targets]")),
    mutant(CE, "logsumexp over dim 0", "WRONG_VALUE",
           replace("torch.logsumexp(logits, dim=1, keepdim=True)",
                   "torch.logsumexp(logits, dim=0, keepdim=True)")),
    mutant(CE, "F.cross_entropy", "BUILTIN_USED",
           replace("return -picked.mean()", "return F.cross_entropy(logits, targets)")),
    mutant(CE, "softmax before the loss", "SOFTMAX_BEFORE_CE",
           replace("log_probs = logits -", "logits = torch.softmax(logits, dim=1)\n"
                   "    log_probs = logits -")),
    mutant(CE, "no minus sign", "WRONG_VALUE", replace("return -picked.mean()",
                                                       "return picked.mean()")),
    # ---- mse_loss
    mutant(MSE, "sum instead of mean", "WRONG_VALUE", replace(".mean()", ".sum()")),
    mutant(MSE, "absolute instead of squared error", "WRONG_VALUE",
           replace("((pred - target) ** 2)", "(pred - target).abs()")),
    mutant(MSE, "no reduction", "WRONG_OUTPUT_SHAPE", replace(".mean()", "")),
    mutant(MSE, ".item() on the result", "WRONG_VALUE",
           replace("return ((pred - target) ** 2).mean()",
                   "return torch.tensor(((pred - target) ** 2).mean().item())")),
    # ---- bce_loss
    mutant(BCE, "ignored eps", "WRONG_VALUE", replace("clamp(eps, 1 - eps)",
                                                      "clamp(1e-7, 1 - 1e-7)")),
    mutant(BCE, "no clamp", "UNSTABLE_NUMERICS", replace("prob.clamp(eps, 1 - eps)", "prob")),
    mutant(BCE, "sum instead of mean", "WRONG_VALUE", replace("per_element.mean()",
                                                              "per_element.sum()")),
    mutant(BCE, "target terms swapped", "WRONG_VALUE",
           replace("target * torch.log(p) + (1 - target) * torch.log(1 - p)",
                   "(1 - target) * torch.log(p) + target * torch.log(1 - p)")),
    # ---- bce_with_logits_loss
    mutant(BCEL, "sigmoid, then log", "UNSTABLE_NUMERICS",
           replace("logits.clamp(min=0) - target * logits + torch.log1p(torch.exp(-logits.abs()))",
                   "-(target * torch.log(torch.sigmoid(logits))"
                   " + (1 - target) * torch.log(1 - torch.sigmoid(logits)))")),
    mutant(BCEL, "naive log(1 + exp(z))", "UNSTABLE_NUMERICS",
           replace("logits.clamp(min=0) - target * logits + torch.log1p(torch.exp(-logits.abs()))",
                   "torch.log(1 + torch.exp(logits)) - target * logits")),
    mutant(BCEL, "sum instead of mean", "WRONG_VALUE", replace("per_element.mean()",
                                                               "per_element.sum()")),
    mutant(BCEL, "F.binary_cross_entropy_with_logits", "BUILTIN_USED",
           replace("return per_element.mean()",
                   "return F.binary_cross_entropy_with_logits(logits, target)")),
    mutant(BCEL, "sigmoid before BCEWithLogitsLoss", "SIGMOID_BEFORE_BCE_WITH_LOGITS",
           replace("per_element = logits", "logits = torch.sigmoid(logits)\n"
                   "    per_element = logits")),
    # ---- BinaryClassifier
    mutant(BIN, "sigmoid on the output", "SIGMOID_BEFORE_BCE_WITH_LOGITS",
           replace("nn.Linear(hidden, 1),", "nn.Linear(hidden, 1), nn.Sigmoid(),")),
    mutant(BIN, "ReLU on the output", "ACTIVATION_ON_OUTPUT",
           replace("nn.Linear(hidden, 1),", "nn.Linear(hidden, 1), nn.ReLU(),")),
    mutant(BIN, "hard-coded input width", "HARDCODED_INPUT_WIDTH",
           replace("nn.Linear(in_features, hidden)", "nn.Linear(784, hidden)")),
    mutant(BIN, "two outputs", "WRONG_OUTPUT_SHAPE",
           replace("nn.Linear(hidden, 1)", "nn.Linear(hidden, 2)")),
    mutant(BIN, "squeezed output", "WRONG_OUTPUT_SHAPE",
           replace("return self.layers(x)", "return self.layers(x).squeeze(1)")),
    mutant(BIN, "hard-coded batch size in view", "HARDCODED_BATCH_SIZE",
           replace("return self.layers(x)", "return self.layers(x.view(8, -1))")),
    # ---- make_loaders
    mutant(LOADERS, "shuffle on the test loader", "SHUFFLE_SETTINGS",
           replace("shuffle=False", "shuffle=True")),
    mutant(LOADERS, "no shuffle on the train loader", "SHUFFLE_SETTINGS",
           replace("shuffle=True", "shuffle=False")),
    mutant(LOADERS, "ignored batch_size", "HARDCODED_BATCH_SIZE",
           replace("batch_size=batch_size", "batch_size=64", count=2)),
    mutant(LOADERS, "drop_last on the test loader", "WRONG_VALUE",
           replace("shuffle=False)", "shuffle=False, drop_last=True)")),
    # ---- iterations_per_epoch
    mutant(ITERS, "ignored drop_last", "WRONG_VALUE", drop_line("if drop_last:"),
           drop_line("return num_samples // batch_size")),
    mutant(ITERS, "floor instead of ceiling", "WRONG_VALUE",
           replace("(num_samples + batch_size - 1) // batch_size", "num_samples // batch_size")),
    mutant(ITERS, "true division", "WRONG_VALUE",
           replace("(num_samples + batch_size - 1) // batch_size",
                   "num_samples / batch_size")),
    # ---- TensorPairDataset
    mutant(PAIRS, "transform applied to labels", "WRONG_VALUE",
           replace("return x, self.labels[i]",
                   "y = self.labels[i]\n        if self.transform is not None:\n"
                   "            y = self.transform(y)\n        return x, y")),
    mutant(PAIRS, "ignored transform", "WRONG_VALUE", replace("x = self.transform(x)", "pass")),
    mutant(PAIRS, "wrong length", "WRONG_VALUE",
           replace("return len(self.features)", "return len(self.features) - 1")),
    # ---- conv_output_size
    mutant(CONV, "ignored stride", "WRONG_VALUE", replace("// stride", "// 1")),
    mutant(CONV, "ignored padding", "WRONG_VALUE", replace("2 * padding", "0")),
    mutant(CONV, "padding on one side only", "WRONG_VALUE", replace("2 * padding", "padding")),
    mutant(CONV, "true division", "WRONG_VALUE", replace("// stride", "/ stride")),
    # ---- SimpleCNN
    mutant(CNN, "hard-coded batch size in view", "HARDCODED_BATCH_SIZE",
           replace("x.view(x.size(0), -1)", "x.view(64, -1)")),
    mutant(CNN, "flatten pairs of samples together", "HARDCODED_BATCH_SIZE",
           replace("x.view(x.size(0), -1)", "x.view(-1, 1568 * 2)"),
           replace("nn.Linear(8 * 14 * 14, 10)", "nn.Linear(8 * 14 * 14 * 2, 10)")),
    mutant(CNN, "flatten the whole batch", "HARDCODED_BATCH_SIZE",
           replace("x.view(x.size(0), -1)", "x.view(-1)")),
    mutant(CNN, "no padding", "WRONG_PARAMETER_COUNT",
           replace("kernel_size=3, padding=1", "kernel_size=3"),
           replace("nn.Linear(8 * 14 * 14, 10)", "nn.Linear(8 * 13 * 13, 10)")),
    # ---- LeNet
    mutant(LENET, "hard-coded batch size in flatten", "HARDCODED_BATCH_SIZE",
           replace("torch.flatten(x, 1)", "x.view(64, 400)")),
    mutant(LENET, "flatten without start_dim", "HARDCODED_BATCH_SIZE",
           replace("torch.flatten(x, 1)", "torch.flatten(x)")),
    # ---- count_parameters
    mutant(COUNT, "frozen parameters counted", "WRONG_VALUE", replace(" if p.requires_grad", "")),
    mutant(COUNT, "tensors counted, not values", "WRONG_VALUE", replace("p.numel()", "1")),
    # ---- sgd_step
    mutant(SGD, "rebinding p = p - lr * p.grad", "UPDATE_REBINDS_NAME",
           replace(UPDATE, "p = p - lr * p.grad")),
    mutant(SGD, "update outside no_grad", "NO_GRAD_MISSING", unwrap("with torch.no_grad():")),
    mutant(SGD, "gradients not cleared", "MISSING_ZERO_GRAD", drop_line("model.zero_grad()")),
    mutant(SGD, "gradients cleared before the update", "ZERO_GRAD_AFTER_BACKWARD",
           move_line("model.zero_grad()", "then clear the gradients.")),
    mutant(SGD, "gradients zeroed in place before the update", "ZERO_GRAD_AFTER_BACKWARD",
           replace(UPDATE, "p.grad.zero_()\n                " + UPDATE)),
    mutant(SGD, "gradient ascent", "WRONG_VALUE", replace(UPDATE, "p += lr * p.grad")),
    mutant(SGD, "learning rate ignored", "WRONG_VALUE", replace("lr * p.grad", "p.grad")),
    mutant(SGD, "learning rate squared", "WRONG_VALUE", replace("lr * p.grad", "lr * lr * p.grad")),
    mutant(SGD, "biases left out", "WRONG_VALUE",
           replace("model.parameters():", "list(model.parameters())[::2]:")),
    mutant(SGD, "no check for a missing gradient", "SUBMISSION_ERROR",
           drop_line("if p.grad is not None:")),
    mutant(SGD, "requires_grad instead of a gradient", "SUBMISSION_ERROR",
           replace("if p.grad is not None:", "if p.requires_grad:")),
    mutant(SGD, "torch.optim.SGD inside", "BUILTIN_USED", body("""
        def sgd_step(model, lr):
            optimizer = torch.optim.SGD(model.parameters(), lr=lr)
            optimizer.step()
            optimizer.zero_grad()
        """, "sgd_step")),
]

EQUIVALENTS: list[Case] = [
    # ---- train_one_epoch
    equivalent(TRAIN, "renamed variables", replace("images", "xb", count=-1),
               replace("labels", "yb", count=-1), replace("total_loss", "running", count=-1)),
    equivalent(TRAIN, "while/next instead of for", replace(FOR, while_next(4))),
    equivalent(TRAIN, "enumerate",
               replace(FOR, "for step, (images, labels) in enumerate(loader):")),
    equivalent(TRAIN, "zero_grad at the end of the loop",
               move_line("optimizer.zero_grad()", "optimizer.step()")),
    equivalent(TRAIN, "model.zero_grad()", replace("optimizer.zero_grad()", "model.zero_grad()")),
    equivalent(TRAIN, "p.grad = None", replace("optimizer.zero_grad()",
                                               "for p in model.parameters():\n"
                                               "            p.grad = None")),
    equivalent(TRAIN, "set_to_none=False", replace("optimizer.zero_grad()",
                                                   "optimizer.zero_grad(set_to_none=False)")),
    equivalent(TRAIN, "non_blocking=True", replace(MOVE, "images = images.to(device, non_blocking"
                                                   "=True)\n        labels = labels.to(device, "
                                                   "non_blocking=True)")),
    equivalent(TRAIN, "log_softmax before CrossEntropyLoss",
               replace(LOGITS, "logits = F.log_softmax(model(images), dim=1)")),
    equivalent(TRAIN, "len(loader.dataset) as the denominator",
               replace("return total_loss / seen", "return total_loss / len(loader.dataset)")),
    equivalent(TRAIN, "mean per batch", replace("loss.item() * len(labels)", "loss.item()"),
               replace("return total_loss / seen", "return total_loss / len(loader)")),
    equivalent(TRAIN, "retain_graph=True, loss rebound",
               replace("loss.backward()", "loss.backward(retain_graph=True)")),
    equivalent(TRAIN, "list of loss.item()", replace("total_loss += loss.item() * len(labels)",
                                                     "history.append(loss.item() * len(labels))"),
               replace("total_loss, seen = 0.0, 0", "history, seen = [], 0"),
               replace("return total_loss / seen", "return sum(history) / seen")),
    equivalent(TRAIN, "accumulate loss.detach()",
               replace("loss.item() * len(labels)", "loss.detach() * len(labels)"),
               replace("return total_loss / seen", "return float(total_loss) / seen")),
    # ---- evaluate
    equivalent(EVAL, "inference_mode", replace("torch.no_grad()", "torch.inference_mode()")),
    equivalent(EVAL, "set_grad_enabled(False)",
               replace("torch.no_grad()", "torch.set_grad_enabled(False)")),
    equivalent(EVAL, "@torch.no_grad() decorator", unwrap("with torch.no_grad():"),
               replace("def evaluate", "@torch.no_grad()\ndef evaluate")),
    equivalent(EVAL, "enumerate", replace(FOR, "for _, (images, labels) in enumerate(loader):")),
    equivalent(EVAL, "while/next instead of for", replace(FOR, while_next(8))),
    equivalent(EVAL, "len(loader.dataset) as the denominator",
               replace("return total_loss / seen, correct / seen",
                       "return total_loss / len(loader.dataset), correct / len(loader.dataset)")),
    equivalent(EVAL, "max(1) instead of argmax", replace("logits.argmax(dim=1)",
                                                         "logits.max(1)[1]")),
    equivalent(EVAL, "non_blocking=True", replace(".to(device)", ".to(device, non_blocking=True)",
                                                  count=2)),
    # ---- MNISTNet
    equivalent(NET, "view(x.size(0), -1) instead of nn.Flatten()",
               replace("nn.Flatten(),", "nn.Identity(),"),
               replace("self.classifier(self.features(x))",
                       "self.classifier(self.features(x).view(x.size(0), -1))")),
    equivalent(NET, "reshape", replace("nn.Flatten(),", "nn.Identity(),"),
               replace("self.classifier(self.features(x))",
                       "self.classifier(self.features(x).reshape(x.shape[0], -1))")),
    equivalent(NET, "flatten(1)", replace("nn.Flatten(),", "nn.Identity(),"),
               replace("self.classifier(self.features(x))",
                       "self.classifier(self.features(x).flatten(1))")),
    equivalent(NET, "log_softmax at the end",
               replace("nn.Linear(128, 10),", "nn.Linear(128, 10), nn.LogSoftmax(dim=1),")),
    equivalent(NET, "F.dropout in forward with training=self.training",
               drop_line("nn.Dropout(0.25),"),
               replace("self.classifier(self.features(x))",
                       "self.classifier(F.dropout(self.features(x), 0.25, "
                       "training=self.training))")),
    # ---- softmax
    equivalent(SOFTMAX, "max(...).values", replace("logits.amax(dim=dim, keepdim=True)",
                                                   "logits.max(dim=dim, keepdim=True).values")),
    equivalent(SOFTMAX, "exp of logits minus logsumexp",
               replace("exps / exps.sum(dim=dim, keepdim=True)",
                       "torch.exp(logits - torch.logsumexp(logits, dim=dim, keepdim=True))")),
    equivalent(SOFTMAX, "renamed variables", replace("shifted", "z", count=2),
               replace("exps", "e", count=3)),
    # ---- cross_entropy
    equivalent(CE, "arange indexing",
               replace("log_probs.gather(1, targets.unsqueeze(1)).squeeze(1)",
                       "log_probs[torch.arange(len(targets)), targets]")),
    equivalent(CE, "max shift by hand",
               replace("logits - torch.logsumexp(logits, dim=1, keepdim=True)",
                       "logits - logits.amax(1, keepdim=True) - (logits - logits.amax(1, "
                       "keepdim=True)).exp().sum(1, keepdim=True).log()")),
    equivalent(CE, "one-hot sum", replace("log_probs.gather(1, targets.unsqueeze(1)).squeeze(1)",
                                          "(F.one_hot(targets, logits.shape[1]) * log_probs)"
                                          ".sum(dim=1)")),
    # ---- mse_loss, bce_loss, bce_with_logits_loss
    equivalent(MSE, "pow(2)", replace("((pred - target) ** 2)", "(pred - target).pow(2)")),
    equivalent(MSE, "sum over numel", replace("((pred - target) ** 2).mean()",
                                              "((pred - target) ** 2).sum() / pred.numel()")),
    equivalent(MSE, "torch.mean", replace("((pred - target) ** 2).mean()",
                                          "torch.mean((pred - target) * (pred - target))")),
    equivalent(BCE, "torch.clamp", replace("prob.clamp(eps, 1 - eps)",
                                           "torch.clamp(prob, min=eps, max=1 - eps)")),
    equivalent(BCEL, "softplus", replace(
        "logits.clamp(min=0) - target * logits + torch.log1p(torch.exp(-logits.abs()))",
        "F.softplus(logits) - target * logits")),
    equivalent(BCEL, "logsigmoid", replace(
        "logits.clamp(min=0) - target * logits + torch.log1p(torch.exp(-logits.abs()))",
        "-(target * F.logsigmoid(logits) + (1 - target) * F.logsigmoid(-logits))")),
    # ---- BinaryClassifier
    equivalent(BIN, "functional forward, no Flatten", drop_line("nn.Flatten(),"),
               replace("nn.ReLU(),", "nn.Identity(),"),
               replace("return self.layers(x)",
                       "return self.layers[2](F.relu(self.layers[0](x)))")),
    # ---- data loading
    equivalent(LOADERS, "keyword order, default shuffle on test",
               replace("DataLoader(test_dataset, batch_size=batch_size, shuffle=False)",
                       "DataLoader(dataset=test_dataset, batch_size=batch_size)")),
    equivalent(ITERS, "math.ceil", replace("(num_samples + batch_size - 1) // batch_size",
                                           "math.ceil(num_samples / batch_size)")),
    equivalent(ITERS, "negated floor division", replace(
        "(num_samples + batch_size - 1) // batch_size", "-(-num_samples // batch_size)")),
    equivalent(PAIRS, "shape[0] as the length", replace("return len(self.features)",
                                                        "return self.features.shape[0]")),
    # ---- nn_module
    equivalent(CONV, "math.floor", replace("(size + 2 * padding - kernel_size) // stride + 1",
                                           "math.floor((size + 2 * padding - kernel_size) / "
                                           "stride) + 1")),
    equivalent(CNN, "nn.Flatten()", replace("x = x.view(x.size(0), -1)",
                                            "x = nn.Flatten()(x)")),
    equivalent(CNN, "torch.relu", replace("F.relu(self.conv(x))", "torch.relu(self.conv(x))")),
    equivalent(LENET, "view(x.size(0), -1)", replace("torch.flatten(x, 1)",
                                                     "x.view(x.size(0), -1)")),
    equivalent(LENET, "flatten, then view(-1, 400)", replace("torch.flatten(x, 1)",
                                                             "torch.flatten(x).view(-1, 400)")),
    equivalent(LENET, "reshape", replace("torch.flatten(x, 1)", "x.reshape(len(x), -1)")),
    equivalent(COUNT, "filter", replace(
        "sum(p.numel() for p in model.parameters() if p.requires_grad)",
        "sum(p.numel() for p in filter(lambda q: q.requires_grad, model.parameters()))")),
    equivalent(SGD, "p.data outside no_grad", unwrap("with torch.no_grad():"),
               replace(UPDATE, "p.data -= lr * p.grad")),
    equivalent(SGD, "add_ with alpha", replace(UPDATE, "p.add_(p.grad, alpha=-lr)")),
    equivalent(SGD, "copy_ of the new values", replace(UPDATE, "p.copy_(p - lr * p.grad)")),
    equivalent(SGD, "p.grad = None in the loop", drop_line("model.zero_grad()"),
               replace(UPDATE, UPDATE + "\n                p.grad = None")),
    equivalent(SGD, "zero_grad(set_to_none=False)",
               replace("model.zero_grad()", "model.zero_grad(set_to_none=False)")),
    equivalent(SGD, "@torch.no_grad() decorator", unwrap("with torch.no_grad():"),
               replace("def sgd_step", "@torch.no_grad()\ndef sgd_step")),
    equivalent(SGD, "named_parameters", replace("for p in model.parameters():",
                                                "for _, p in model.named_parameters():")),
]

ALL: list[Case] = MUTANTS + EQUIVALENTS
