# Blocks of the "exclusion from the DAG" section; the first line is the import the
# tutorial's earlier block made.
from torchvision.models import resnet18, ResNet18_Weights
from torch import nn, optim

model = resnet18(weights=ResNet18_Weights.DEFAULT)

# Freeze all the parameters in the network
for param in model.parameters():
    param.requires_grad = False

model.fc = nn.Linear(512, 10)

# Optimize only the classifier
optimizer = optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
