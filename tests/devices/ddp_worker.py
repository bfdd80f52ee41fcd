"""One rank of a two-process DistributedDataParallel run (see test_multiprocess.py): each rank
trains on its half of the batch; prints the losses and final parameters as JSON."""
import json
import sys

import torchlike as torch

torch.distributed.init_process_group("gloo")  # env://: RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT
rank, world = torch.distributed.get_rank(), torch.distributed.get_world_size()
nn = torch.nn
torch.manual_seed(rank)  # different initial weights per rank: DDP starts every rank from rank 0's
model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))
data = json.loads(sys.argv[1])
x, y = torch.tensor(data["x"]), torch.tensor(data["y"])
half = x.shape[0] // world
x, y = x[rank * half:(rank + 1) * half], y[rank * half:(rank + 1) * half]
ddp = nn.parallel.DistributedDataParallel(model)
init = [p.detach().numpy().tolist() for p in model.parameters()]
opt = torch.optim.SGD(ddp.parameters(), lr=0.1)
losses = []
for _ in range(2):
    opt.zero_grad()
    loss = nn.functional.mse_loss(ddp(x), ddp.shard(y))
    loss.backward()
    opt.step()
    losses.append(loss.item())
t = torch.tensor([float(rank + 1)])
torch.distributed.all_reduce(t)
torch.distributed.barrier()
print(json.dumps({"rank": rank, "world": world, "losses": losses, "init": init, "all_reduce": t.item(),
                  "params": [p.detach().numpy().tolist() for p in model.parameters()]}))
torch.distributed.destroy_process_group()
